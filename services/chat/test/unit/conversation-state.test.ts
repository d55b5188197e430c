import { DomainError, type QueueItem, type UiChunk } from '@harness/contracts';
import {
  decide,
  evolve,
  initialState,
  type Command,
  type ConversationState,
  type Decision,
  type Emitted,
} from '../../src/conversation/conversation-state.js';
import type { BudgetStatus } from '../../src/budgets/budget-status.js';

// The run state machine as Given/When/Then: given the events so far (folded with evolve from the initial state),
// when a command is decided, then exactly these chunks, effects and result — or this domain error.

const MODEL = 'sim/echo';
const NOW = '2026-11-27T10:00:00.000Z';
const ids = (n: number) => ({ runId: `run-${n}`, assistantMessageId: `asst-${n}` });

interface Outcome {
  emit?: Emitted[];
  effects?: Decision['effects'];
  result?: unknown;
  /** The state after folding the emitted chunks (optional check). */
  state?: ConversationState;
}

function given(...events: Emitted[]) {
  const state = events.reduce(evolve, initialState());
  return {
    state,
    when(cmd: Command) {
      const run = () => decide(state, cmd);
      return {
        then(expected: Outcome) {
          const d = run();
          expect(d.emit).toEqual(expected.emit ?? []);
          expect(d.effects).toEqual(expected.effects ?? []);
          if ('result' in expected) expect(d.result).toEqual(expected.result);
          if (expected.state) expect(d.emit.reduce(evolve, state)).toEqual(expected.state);
          return d;
        },
        thenError(code: string, message?: RegExp) {
          let thrown: unknown;
          try {
            run();
          } catch (err) {
            thrown = err;
          }
          expect(thrown).toBeInstanceOf(DomainError);
          expect((thrown as DomainError).code).toBe(code);
          if (message) expect((thrown as DomainError).message).toMatch(message);
        },
      };
    },
  };
}

// Event builders (what the writer folds).
const started = (n: number): Emitted[] => [
  { chunk: { type: 'start', messageId: `asst-${n}`, messageMetadata: { runId: `run-${n}`, model: MODEL } }, runId: `run-${n}` },
  { chunk: { type: 'data-run', data: { runId: `run-${n}`, status: 'started', messageId: `asst-${n}` }, transient: true }, runId: `run-${n}` },
];
const finished = (n: number): Emitted => ({ chunk: { type: 'finish', finishReason: 'stop' }, runId: `run-${n}` });
const aborted = (n: number): Emitted => ({ chunk: { type: 'abort', reason: 'interrupted' }, runId: `run-${n}` });
const failed = (n: number): Emitted => ({ chunk: { type: 'error', errorText: 'boom' }, runId: `run-${n}` });
const item = (id: string, content = `content of ${id}`): QueueItem => ({ id, content, createdAt: NOW });
const queued = (...items: QueueItem[]): Emitted => ({ chunk: { type: 'data-queue', data: { items }, transient: true }, runId: null });

const userMessage = (messageId: string, runId: string, content: string, extra: Record<string, string> = {}): Emitted => ({
  chunk: { type: 'data-message', data: { messageId, role: 'user', parts: [{ type: 'text', text: content }], ...extra }, transient: true },
  runId,
});
const startChunks = (n: number, regenerates?: string): Emitted[] => [
  {
    chunk: { type: 'start', messageId: `asst-${n}`, messageMetadata: { runId: `run-${n}`, model: MODEL, ...(regenerates ? { regenerates } : {}) } },
    runId: `run-${n}`,
  },
  { chunk: { type: 'data-run', data: { runId: `run-${n}`, status: 'started', messageId: `asst-${n}` }, transient: true }, runId: `run-${n}` },
];

const LIMITS = { maxItems: 20, maxBytes: 2 * 1024 * 1024 };
const send = (messageId: string, content: string, n: number, clientMessageId?: string, limits = LIMITS, budget: BudgetStatus | null = null): Command => ({
  type: 'send', messageId, content, now: NOW, model: MODEL, ids: ids(n), limits, budget, ...(clientMessageId ? { clientMessageId } : {}),
});

describe('send', () => {
  it('idle: records the user message and starts a run (data-message, start, data-run) with a start-run effect', () => {
    given().when(send('m1', 'hello', 1, 'client-1')).then({
      emit: [userMessage('m1', 'run-1', 'hello', { clientMessageId: 'client-1' }), ...startChunks(1)],
      effects: [{ type: 'start-run', runId: 'run-1', messageId: 'asst-1' }],
      result: { messageId: 'm1', status: 'started', runId: 'run-1' },
      state: { activeRun: { runId: 'run-1', messageId: 'asst-1' }, queue: [] },
    });
  });

  it('idle after a finished run: starts a new run', () => {
    given(...started(1), finished(1)).when(send('m2', 'again', 2)).then({
      emit: [userMessage('m2', 'run-2', 'again'), ...startChunks(2)],
      effects: [{ type: 'start-run', runId: 'run-2', messageId: 'asst-2' }],
      result: { messageId: 'm2', status: 'started', runId: 'run-2' },
    });
  });

  it('idle but with messages still waiting (e.g. right after a run ended): queued behind them, never overtaking', () => {
    given(...started(1), queued(item('q1')), finished(1)).when(send('m2', 'later', 2)).then({
      emit: [queued(item('q1'), item('m2', 'later'))],
      effects: [],
      result: { messageId: 'm2', status: 'queued', queueItemId: 'm2' },
      state: { activeRun: null, queue: [item('q1'), item('m2', 'later')] },
    });
  });

  it('active run: queues the message (data-queue with the whole queue), no effect, runId absent from the result', () => {
    given(...started(1), queued(item('q1'))).when(send('m2', 'later', 2)).then({
      emit: [queued(item('q1'), item('m2', 'later'))],
      effects: [],
      result: { messageId: 'm2', status: 'queued', queueItemId: 'm2' },
      state: { activeRun: { runId: 'run-1', messageId: 'asst-1' }, queue: [item('q1'), item('m2', 'later')] },
    });
  });

  it('a full queue (item count) refuses the message with rate_limited and a retry hint; nothing is emitted', () => {
    const limits = { maxItems: 2, maxBytes: 1024 * 1024 };
    const full = given(...started(1), queued(item('q1'), item('q2')));
    full.when(send('m3', 'one more', 3, undefined, limits)).thenError('rate_limited', /at most 2 messages/);
    let thrown: DomainError | undefined;
    try {
      decide(full.state, send('m3', 'one more', 3, undefined, limits));
    } catch (err) {
      thrown = err as DomainError;
    }
    expect(thrown?.details).toMatchObject({ limit: 'queued_messages', maxItems: 2, retryAfterSeconds: expect.any(Number) });
    // One below the cap still queues.
    given(...started(1), queued(item('q1'))).when(send('m3', 'fits', 3, undefined, limits)).then({
      emit: [queued(item('q1'), item('m3', 'fits'))],
      result: { messageId: 'm3', status: 'queued', queueItemId: 'm3' },
    });
  });

  it('a full queue (bytes, counted as JSON: a control character takes six) refuses the message', () => {
    const limits = { maxItems: 20, maxBytes: 700_000 };
    const controls = '\u0001'.repeat(99_000); // 594,002 bytes once JSON-escaped
    given(...started(1)).when(send('m2', controls, 2, undefined, limits)).then({
      emit: [queued(item('m2', controls))],
      result: { messageId: 'm2', status: 'queued', queueItemId: 'm2' },
    });
    given(...started(1), queued(item('q1', controls))).when(send('m3', controls, 3, undefined, limits)).thenError('rate_limited', /700000 bytes/);
    // The same number of plain characters fits twice over.
    given(...started(1), queued(item('q1', 'a'.repeat(99_000)))).when(send('m3', 'b'.repeat(99_000), 3, undefined, limits)).then({
      emit: [queued(item('q1', 'a'.repeat(99_000)), item('m3', 'b'.repeat(99_000)))],
      result: { messageId: 'm3', status: 'queued', queueItemId: 'm3' },
    });
  });

  it('an idle conversation with an empty queue starts the run whatever the limits (nothing waits)', () => {
    given().when(send('m1', 'hello', 1, undefined, { maxItems: 1, maxBytes: 1024 })).then({
      emit: [userMessage('m1', 'run-1', 'hello'), ...startChunks(1)],
      effects: [{ type: 'start-run', runId: 'run-1', messageId: 'asst-1' }],
      result: { messageId: 'm1', status: 'started', runId: 'run-1' },
    });
  });
});

describe('interrupt', () => {
  it('active run: an abort-run effect for that run, nothing emitted (the run writes its own end)', () => {
    given(...started(1)).when({ type: 'interrupt' }).then({
      emit: [],
      effects: [{ type: 'abort-run', runId: 'run-1', reason: 'interrupted' }],
      result: { runId: 'run-1' },
    });
  });

  it('idle: nothing to do, runId null', () => {
    given().when({ type: 'interrupt' }).then({ emit: [], effects: [], result: { runId: null } });
    given(...started(1), aborted(1)).when({ type: 'interrupt' }).then({ emit: [], effects: [], result: { runId: null } });
  });
});

describe('remove queue item', () => {
  it('found: the queue without it', () => {
    given(...started(1), queued(item('a'), item('b'), item('c'))).when({ type: 'remove-queue-item', itemId: 'b' }).then({
      emit: [queued(item('a'), item('c'))],
      effects: [],
      result: { removed: true },
      state: { activeRun: { runId: 'run-1', messageId: 'asst-1' }, queue: [item('a'), item('c')] },
    });
  });

  it('not found: not_found, nothing emitted', () => {
    given(...started(1), queued(item('a'))).when({ type: 'remove-queue-item', itemId: 'zzz' }).thenError('not_found', /queue item/);
    given().when({ type: 'remove-queue-item', itemId: 'a' }).thenError('not_found');
  });
});

describe('send-now', () => {
  it('with an active run: moves the item to the front and aborts the run (reason send-now)', () => {
    given(...started(1), queued(item('a'), item('b'), item('c'))).when({ type: 'send-now', itemId: 'c', model: MODEL, ids: ids(2), budget: null }).then({
      emit: [queued(item('c'), item('a'), item('b'))],
      effects: [{ type: 'abort-run', runId: 'run-1', reason: 'send-now' }],
      result: { interruptedRunId: 'run-1' },
      state: { activeRun: { runId: 'run-1', messageId: 'asst-1' }, queue: [item('c'), item('a'), item('b')] },
    });
  });

  it('without an active run: removes the item from the queue and starts its run at once', () => {
    given(...started(1), queued(item('a', 'first'), item('b', 'second')), finished(1))
      .when({ type: 'send-now', itemId: 'b', model: MODEL, ids: ids(2), budget: null })
      .then({
        emit: [queued(item('a', 'first')), userMessage('b', 'run-2', 'second', { queueItemId: 'b' }), ...startChunks(2)],
        effects: [{ type: 'start-run', runId: 'run-2', messageId: 'asst-2' }],
        result: { interruptedRunId: null },
        state: { activeRun: { runId: 'run-2', messageId: 'asst-2' }, queue: [item('a', 'first')] },
      });
  });

  it('unknown item: not_found', () => {
    given(...started(1), queued(item('a'))).when({ type: 'send-now', itemId: 'nope', model: MODEL, ids: ids(2), budget: null }).thenError('not_found');
  });
});

describe('drain-queue', () => {
  it('idle with a queue: starts the FIRST item (FIFO) and leaves the rest queued', () => {
    given(...started(1), queued(item('a', 'one'), item('b', 'two'), item('c', 'three')), finished(1))
      .when({ type: 'drain-queue', model: MODEL, ids: ids(2), budget: null })
      .then({
        emit: [queued(item('b', 'two'), item('c', 'three')), userMessage('a', 'run-2', 'one', { queueItemId: 'a' }), ...startChunks(2)],
        effects: [{ type: 'start-run', runId: 'run-2', messageId: 'asst-2' }],
        result: null,
      });
  });

  it('drains one item per run, in order', () => {
    const events: Emitted[] = [...started(1), queued(item('a'), item('b')), failed(1)];
    const order: string[] = [];
    let n = 2;
    for (;;) {
      const state = events.reduce(evolve, initialState());
      const d = decide(state, { type: 'drain-queue', model: MODEL, ids: ids(n), budget: null });
      if (!d.emit.length) break;
      const msg = d.emit.find((e) => e.chunk.type === 'data-message')!.chunk as Extract<UiChunk, { type: 'data-message' }>;
      order.push(msg.data.messageId);
      // While the drained run is active, a second drain does nothing.
      expect(decide(d.emit.reduce(evolve, state), { type: 'drain-queue', model: MODEL, ids: ids(99), budget: null })).toEqual({ emit: [], effects: [], result: null });
      events.push(...d.emit, finished(n));
      n++;
    }
    expect(order).toEqual(['a', 'b']);
  });

  it('active run or empty queue: nothing', () => {
    given(...started(1), queued(item('a'))).when({ type: 'drain-queue', model: MODEL, ids: ids(2), budget: null }).then({ emit: [], effects: [], result: null });
    given().when({ type: 'drain-queue', model: MODEL, ids: ids(2), budget: null }).then({ emit: [], effects: [], result: null });
  });
});

describe('regenerate', () => {
  const target = { messageId: 'asst-1', role: 'assistant', hidden: false, firstSeq: 4 };

  it('run active: run_active', () => {
    given(...started(2)).when({ type: 'regenerate', target, model: MODEL, ids: ids(3), budget: null }).thenError('run_active');
  });

  it('bad target: not_found (missing, a user message, or already hidden)', () => {
    given().when({ type: 'regenerate', target: null, model: MODEL, ids: ids(3), budget: null }).thenError('not_found');
    given().when({ type: 'regenerate', target: { ...target, role: 'user' }, model: MODEL, ids: ids(3), budget: null }).thenError('not_found');
    given().when({ type: 'regenerate', target: { ...target, hidden: true }, model: MODEL, ids: ids(3), budget: null }).thenError('not_found');
  });

  it('ok: a start that names the regenerated message, data-run, and a start-run effect carrying the target', () => {
    given(...started(1), finished(1)).when({ type: 'regenerate', target, model: MODEL, ids: ids(3), budget: null }).then({
      emit: startChunks(3, 'asst-1'),
      effects: [{ type: 'start-run', runId: 'run-3', messageId: 'asst-3', regenerates: { messageId: 'asst-1', firstSeq: 4 } }],
      result: { runId: 'run-3' },
      state: { activeRun: { runId: 'run-3', messageId: 'asst-3' }, queue: [] },
    });
  });
});

describe('budgets', () => {
  // Checked at 10:00 on 27 November: the budget starts afresh on 1 December, 3 days and 14 hours later.
  const RESETS = '2026-12-01T00:00:00.000Z';
  const RETRY_AFTER = 3 * 86_400 + 14 * 3_600;
  const budget = (spentUsd: number, monthlyUsd = 1): BudgetStatus => ({ monthlyUsd, spentUsd, resetsAt: RESETS, checkedAt: NOW });
  const over = budget(1.25);
  const target = { messageId: 'asst-1', role: 'assistant', hidden: false, firstSeq: 4 };
  const message = /monthly budget exceeded: \$1\.25 spent this month of a \$1\.00 budget; it starts afresh at 2026-12-01T00:00:00\.000Z/;

  function refusal(cmd: Command, state = initialState()): DomainError {
    try {
      decide(state, cmd);
    } catch (err) {
      return err as DomainError;
    }
    throw new Error('expected a refusal');
  }

  it('under budget (or none): a send starts its run as always', () => {
    for (const b of [null, budget(0.99), budget(0, 0.5)]) {
      given().when(send('m1', 'hello', 1, undefined, LIMITS, b)).then({
        emit: [userMessage('m1', 'run-1', 'hello'), ...startChunks(1)],
        effects: [{ type: 'start-run', runId: 'run-1', messageId: 'asst-1' }],
        result: { messageId: 'm1', status: 'started', runId: 'run-1' },
      });
    }
  });

  it('at or over budget: a send is refused with budget_exceeded (budget, spend, reset, Retry-After until the month ends); nothing emitted', () => {
    given().when(send('m1', 'hello', 1, undefined, LIMITS, over)).thenError('budget_exceeded', message);
    given().when(send('m1', 'hello', 1, undefined, LIMITS, budget(1))).thenError('budget_exceeded', /\$1\.00 spent this month of a \$1\.00 budget/);
    // A budget of 0 lets nothing run.
    given().when(send('m1', 'hello', 1, undefined, LIMITS, budget(0, 0))).thenError('budget_exceeded');
    const err = refusal(send('m1', 'hello', 1, undefined, LIMITS, over));
    expect(err.details).toEqual({ budgetUsd: 1, spentUsd: 1.25, resetsAt: RESETS, retryAfterSeconds: RETRY_AFTER });
  });

  it('over budget behind an active run: refused too, not queued (it could not run this month)', () => {
    given(...started(1)).when(send('m2', 'later', 2, undefined, LIMITS, over)).thenError('budget_exceeded', message);
  });

  it('a queued message reaching the front over budget: its run ends at once as failed, with no start-run effect (no LLM call)', () => {
    const reason = expect.stringMatching(message);
    given(...started(1), queued(item('a', 'one'), item('b', 'two')), finished(1))
      .when({ type: 'drain-queue', model: MODEL, ids: ids(2), budget: over })
      .then({
        emit: [
          queued(item('b', 'two')),
          userMessage('a', 'run-2', 'one', { queueItemId: 'a' }),
          startChunks(2)[0],
          { chunk: { type: 'data-run', data: { runId: 'run-2', status: 'failed', messageId: 'asst-2', error: reason }, transient: true }, runId: 'run-2' },
          { chunk: { type: 'error', errorText: reason }, runId: 'run-2' },
        ],
        effects: [],
        result: null,
        // Idle again with the rest still queued: the next drain judges the next item.
        state: { activeRun: null, queue: [item('b', 'two')] },
      });
  });

  it('under budget, a drain starts the run as always', () => {
    given(...started(1), queued(item('a', 'one')), finished(1)).when({ type: 'drain-queue', model: MODEL, ids: ids(2), budget: budget(0.5) }).then({
      emit: [queued(), userMessage('a', 'run-2', 'one', { queueItemId: 'a' }), ...startChunks(2)],
      effects: [{ type: 'start-run', runId: 'run-2', messageId: 'asst-2' }],
      result: null,
    });
  });

  it('regenerate over budget: budget_exceeded, after the checks that say what is wrong with the request itself', () => {
    given(...started(1), finished(1)).when({ type: 'regenerate', target, model: MODEL, ids: ids(3), budget: over }).thenError('budget_exceeded', message);
    given(...started(2)).when({ type: 'regenerate', target, model: MODEL, ids: ids(3), budget: over }).thenError('run_active');
    given().when({ type: 'regenerate', target: null, model: MODEL, ids: ids(3), budget: over }).thenError('not_found');
    given(...started(1), finished(1)).when({ type: 'regenerate', target, model: MODEL, ids: ids(3), budget: budget(0.2) }).then({
      emit: startChunks(3, 'asst-1'),
      effects: [{ type: 'start-run', runId: 'run-3', messageId: 'asst-3', regenerates: { messageId: 'asst-1', firstSeq: 4 } }],
      result: { runId: 'run-3' },
    });
  });

  it('send-now over budget: refused before the active run is stopped for it; the queue is unchanged', () => {
    given(...started(1), queued(item('a'), item('b'))).when({ type: 'send-now', itemId: 'b', model: MODEL, ids: ids(2), budget: over }).thenError('budget_exceeded', message);
    given(...started(1), queued(item('a')), finished(1)).when({ type: 'send-now', itemId: 'a', model: MODEL, ids: ids(2), budget: over }).thenError('budget_exceeded');
    // An unknown item is still a 404.
    given(...started(1), queued(item('a'))).when({ type: 'send-now', itemId: 'nope', model: MODEL, ids: ids(2), budget: over }).thenError('not_found');
  });

  it('interrupt and removing a queue item need no budget', () => {
    given(...started(1), queued(item('a'))).when({ type: 'interrupt' }).then({
      effects: [{ type: 'abort-run', runId: 'run-1', reason: 'interrupted' }],
      result: { runId: 'run-1' },
    });
    given(...started(1), queued(item('a'))).when({ type: 'remove-queue-item', itemId: 'a' }).then({ emit: [queued()], result: { removed: true } });
  });
});

describe('evolve', () => {
  it('start makes the run active', () => {
    expect(evolve(initialState(), started(1)[0])).toEqual({ activeRun: { runId: 'run-1', messageId: 'asst-1' }, queue: [] });
  });

  it.each([
    ['finish', finished(1)],
    ['abort', aborted(1)],
    ['error', failed(1)],
  ])('terminal %s of the active run clears it', (_name, terminal) => {
    const s = [...started(1)].reduce(evolve, initialState());
    expect(evolve(s, terminal)).toEqual({ activeRun: null, queue: [] });
  });

  it("a terminal of another run does not clear the active one", () => {
    const s = started(2).reduce(evolve, initialState());
    expect(evolve(s, finished(1))).toBe(s);
    expect(evolve(s, { chunk: { type: 'finish' }, runId: null })).toBe(s);
  });

  it('data-queue replaces the queue; other chunks leave the state as is', () => {
    const s = evolve(initialState(), queued(item('a'), item('b')));
    expect(s.queue).toEqual([item('a'), item('b')]);
    expect(evolve(s, queued()).queue).toEqual([]);
    const same = evolve(s, { chunk: { type: 'text-delta', id: 't1', delta: 'x' }, runId: 'run-1' });
    expect(same).toBe(s);
    expect(evolve(s, { chunk: { type: 'data-run', data: { runId: 'run-1', status: 'completed' } }, runId: 'run-1' })).toBe(s);
  });

  it('does not mutate the state it is given', () => {
    const s = initialState();
    const frozen = Object.freeze({ ...s, queue: Object.freeze([...s.queue]) as QueueItem[] });
    expect(() => evolve(frozen, queued(item('a')))).not.toThrow();
    expect(() => evolve(frozen, started(1)[0])).not.toThrow();
    expect(frozen).toEqual(initialState());
  });
});
