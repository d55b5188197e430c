import { DomainError, isTerminalChunk, type QueueItem, type UiChunk } from '@harness/contracts';
import { budgetExceeded, budgetExceededMessage, isOverBudget, type BudgetStatus } from '../budgets/budget-status.js';

/**
 * The run state machine of one conversation, as pure functions: decide(state, command) → chunks + effects;
 * evolve(state, chunk) → state. No I/O; the actor supplies ids and time so both stay deterministic.
 */

export interface ActiveRun {
  runId: string;
  messageId: string;
}

export interface ConversationState {
  activeRun: ActiveRun | null;
  queue: QueueItem[];
}

export const initialState = (): ConversationState => ({ activeRun: null, queue: [] });

export interface NewIds {
  runId: string;
  assistantMessageId: string;
}

/** How much may wait in a conversation's queue: items, and bytes of their content as stored (JSON). */
export interface QueueLimits {
  maxItems: number;
  maxBytes: number;
}

/** Seconds a client is told to wait when the queue is full: about when a run usually has moved on. */
const QUEUE_FULL_RETRY_AFTER_S = 10;

/**
 * Commands that may start a run carry the user's budget as read just before (`null`: the user has none). Over it, a
 * send, a send-now and a regeneration are refused (429 `budget_exceeded`); a queued message reaching the front ends
 * its run at once in a failed state. Either way no LLM call is made.
 */
export type Command =
  | { type: 'send'; messageId: string; content: string; clientMessageId?: string; now: string; model: string; ids: NewIds; limits: QueueLimits; budget: BudgetStatus | null }
  | { type: 'interrupt' }
  | { type: 'remove-queue-item'; itemId: string }
  | { type: 'send-now'; itemId: string; model: string; ids: NewIds; budget: BudgetStatus | null }
  | { type: 'drain-queue'; model: string; ids: NewIds; budget: BudgetStatus | null }
  | {
    type: 'regenerate'; target: { messageId: string; role: string; hidden: boolean; firstSeq: number } | null; model: string; ids: NewIds;
    budget: BudgetStatus | null;
  };

export type Effect =
  | { type: 'start-run'; runId: string; messageId: string; regenerates?: { messageId: string; firstSeq: number } }
  | { type: 'abort-run'; runId: string; reason: 'interrupted' | 'send-now' };

export interface Emitted {
  chunk: UiChunk;
  runId: string | null;
}

export interface Decision<R = unknown> {
  emit: Emitted[];
  effects: Effect[];
  result: R;
}

const none = <R>(result: R): Decision<R> => ({ emit: [], effects: [], result });

export function decide(state: ConversationState, cmd: Command): Decision {
  switch (cmd.type) {
    case 'send': {
      // Refused even when it would only be queued: it could never run this month.
      if (isOverBudget(cmd.budget)) throw budgetExceeded(cmd.budget);
      // Behind a run, or behind messages still waiting their turn: never overtake the queue.
      if (state.activeRun || state.queue.length) {
        const item: QueueItem = { id: cmd.messageId, content: cmd.content, createdAt: cmd.now };
        refuseWhenFull(state.queue, item, cmd.limits);
        return {
          emit: [{ chunk: { type: 'data-queue', data: { items: [...state.queue, item] }, transient: true }, runId: null }],
          effects: [],
          result: { messageId: cmd.messageId, status: 'queued', queueItemId: item.id },
        };
      }
      return startRun(cmd.ids, cmd.model, { messageId: cmd.messageId, content: cmd.content, clientMessageId: cmd.clientMessageId }, {
        messageId: cmd.messageId, status: 'started', runId: cmd.ids.runId,
      });
    }
    case 'interrupt':
      return state.activeRun
        ? { emit: [], effects: [{ type: 'abort-run', runId: state.activeRun.runId, reason: 'interrupted' }], result: { runId: state.activeRun.runId } }
        : none({ runId: null });
    case 'remove-queue-item': {
      if (!state.queue.some((i) => i.id === cmd.itemId)) throw new DomainError('not_found', 'queue item not found', { itemId: cmd.itemId });
      return {
        emit: [queueChunk(state.queue.filter((i) => i.id !== cmd.itemId))],
        effects: [],
        result: { removed: true },
      };
    }
    case 'send-now': {
      const item = state.queue.find((i) => i.id === cmd.itemId);
      if (!item) throw new DomainError('not_found', 'queue item not found', { itemId: cmd.itemId });
      // Refused before the active run is stopped for it: the item could not run anyway.
      if (isOverBudget(cmd.budget)) throw budgetExceeded(cmd.budget);
      const rest = state.queue.filter((i) => i.id !== cmd.itemId);
      if (state.activeRun) {
        return {
          emit: [queueChunk([item, ...rest])],
          effects: [{ type: 'abort-run', runId: state.activeRun.runId, reason: 'send-now' }],
          result: { interruptedRunId: state.activeRun.runId },
        };
      }
      const started = startRun(cmd.ids, cmd.model, { messageId: item.id, content: item.content, queueItemId: item.id }, { interruptedRunId: null });
      return { ...started, emit: [queueChunk(rest), ...started.emit] };
    }
    case 'drain-queue': {
      if (state.activeRun || state.queue.length === 0) return none(null);
      const [item, ...rest] = state.queue;
      let started = startRun(cmd.ids, cmd.model, { messageId: item.id, content: item.content, queueItemId: item.id }, null);
      if (isOverBudget(cmd.budget)) started = failedRun(started, budgetExceededMessage(cmd.budget));
      return { ...started, emit: [queueChunk(rest), ...started.emit] };
    }
    case 'regenerate': {
      if (state.activeRun) throw new DomainError('run_active', 'a run is active in this conversation; interrupt it first');
      const t = cmd.target;
      if (!t || t.hidden || t.role !== 'assistant') throw new DomainError('not_found', 'assistant message not found');
      if (isOverBudget(cmd.budget)) throw budgetExceeded(cmd.budget);
      const { runId, assistantMessageId } = cmd.ids;
      return {
        emit: [
          { chunk: { type: 'start', messageId: assistantMessageId, messageMetadata: { runId, model: cmd.model, regenerates: t.messageId } }, runId },
          { chunk: { type: 'data-run', data: { runId, status: 'started', messageId: assistantMessageId }, transient: true }, runId },
        ],
        effects: [{ type: 'start-run', runId, messageId: assistantMessageId, regenerates: { messageId: t.messageId, firstSeq: t.firstSeq } }],
        result: { runId },
      };
    }
  }
}

export function evolve(state: ConversationState, e: Emitted): ConversationState {
  const c = e.chunk;
  if (c.type === 'start') return { ...state, activeRun: { runId: c.messageMetadata.runId, messageId: c.messageId } };
  if (c.type === 'data-queue') return { ...state, queue: c.data.items };
  if (isTerminalChunk(c) && state.activeRun && e.runId === state.activeRun.runId) return { ...state, activeRun: null };
  return state;
}

function startRun<R>(
  ids: NewIds,
  model: string,
  user: { messageId: string; content: string; clientMessageId?: string; queueItemId?: string },
  result: R,
): Decision<R> {
  const { runId, assistantMessageId } = ids;
  return {
    emit: [
      {
        chunk: {
          type: 'data-message',
          data: {
            messageId: user.messageId, role: 'user', parts: [{ type: 'text', text: user.content }],
            ...(user.clientMessageId ? { clientMessageId: user.clientMessageId } : {}),
            ...(user.queueItemId ? { queueItemId: user.queueItemId } : {}),
          },
          transient: true,
        },
        runId,
      },
      { chunk: { type: 'start', messageId: assistantMessageId, messageMetadata: { runId, model } }, runId },
      { chunk: { type: 'data-run', data: { runId, status: 'started', messageId: assistantMessageId }, transient: true }, runId },
    ],
    effects: [{ type: 'start-run', runId, messageId: assistantMessageId }],
    result,
  };
}

/**
 * A run that ends as it starts (the user is over budget): its message and `start` are recorded like any run's, so
 * every client and follower sees the queued message become a failed answer, then `data-run {failed}` and `error`;
 * no start-run effect, so no LLM call.
 */
function failedRun<R>(started: Decision<R>, reason: string): Decision<R> {
  const effect = started.effects[0];
  if (effect?.type !== 'start-run') throw new Error('failedRun expects a decision that starts a run');
  const { runId, messageId } = effect;
  return {
    emit: [
      // Not announced as started: it never was.
      ...started.emit.filter((e) => e.chunk.type !== 'data-run'),
      { chunk: { type: 'data-run', data: { runId, status: 'failed', messageId, error: reason }, transient: true }, runId },
      { chunk: { type: 'error', errorText: reason }, runId },
    ],
    effects: [],
    result: started.result,
  };
}

/** Bytes an item's content takes in a `data-queue` event (JSON: a control character takes six). */
export const queuedBytes = (item: QueueItem): number => Buffer.byteLength(JSON.stringify(item.content));

function refuseWhenFull(queue: QueueItem[], item: QueueItem, limits: QueueLimits): void {
  if (queue.length >= limits.maxItems) {
    throw new DomainError('rate_limited', `the queue is full: at most ${limits.maxItems} messages can wait; remove one or wait for the run to end`, {
      retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_S, limit: 'queued_messages', maxItems: limits.maxItems,
    });
  }
  const bytes = queue.reduce((n, i) => n + queuedBytes(i), 0) + queuedBytes(item);
  if (bytes > limits.maxBytes) {
    throw new DomainError('rate_limited', `the queue is full: its messages may take at most ${limits.maxBytes} bytes; remove one or wait for the run to end`, {
      retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_S, limit: 'queued_bytes', maxBytes: limits.maxBytes,
    });
  }
}

const queueChunk = (items: QueueItem[]): Emitted => ({ chunk: { type: 'data-queue', data: { items }, transient: true }, runId: null });
