import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { QueueItem, UiChunk, Usage } from '@harness/contracts';
import { EventStore, type NewEvent } from '@harness/event-store';
import { projectConversationEvents, rebuildProjections, type DraftCache } from '@harness/projections';
import { createTestDatabase, type TestDatabase } from '@harness/testing';

// A realistic conversation appended through EventStore.append with the inline projection, in several batches (and
// once with a cold draft cache, as a new owner would have), then the views are rebuilt from zero: they must be
// identical, and right.

let db: TestDatabase;
let pool: pg.Pool;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('rebuild');
  pool = new pg.Pool({ connectionString: db.url, max: 5 });
  pool.on('error', () => undefined); // idle connections are terminated when the database is dropped
  store = new EventStore(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const T0 = Date.parse('2026-11-27T09:00:00.000Z');

/** Numbers events like the chat writer does and appends them in the batches the test asks for. */
class Conversation {
  readonly id = randomUUID();
  seq = 0;
  persisted = 0;
  private pending: NewEvent[] = [];
  private clock = 0;
  drafts: DraftCache = new Map();

  constructor(readonly userId: string) {}

  async create() {
    const harnessId = randomUUID();
    await pool.query("INSERT INTO harnesses (id, user_id, name, model) VALUES ($1, $2, 'h', 'sim/reasoning')", [harnessId, this.userId]);
    await pool.query("INSERT INTO conversations (id, user_id, harness_id, title) VALUES ($1, $2, $3, 't')", [this.id, this.userId, harnessId]);
    await store.createStream(this.id, this.userId);
    return this;
  }

  add(runId: string | null, ...chunks: UiChunk[]) {
    for (const chunk of chunks) {
      this.clock += 7;
      this.pending.push({ seq: ++this.seq, chunk, runId, createdAt: new Date(T0 + this.clock) });
    }
    return this;
  }

  /** Simulates a seq jump (takeover). */
  jump(by: number) {
    this.seq += by;
    return this;
  }

  async flush(opts: { coldDrafts?: boolean } = {}) {
    if (opts.coldDrafts) this.drafts = new Map();
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    await store.append(this.id, this.persisted, batch, {
      projection: (tx, _sid, events) => projectConversationEvents(tx, this.userId, events, this.drafts),
    });
    this.persisted = batch[batch.length - 1].seq;
  }
}

const usage = (over: Partial<Usage> = {}): Usage => ({
  promptTokens: 100, completionTokens: 40, reasoningTokens: 10, totalTokens: 140, cost: 0.00018, source: 'provider', costSource: 'provider', ...over,
});
const q = (id: string, content: string, ms: number): QueueItem => ({ id, content, createdAt: new Date(T0 + ms).toISOString() });
const userMsg = (messageId: string, text: string, extra: { queueItemId?: string; clientMessageId?: string } = {}): UiChunk => ({
  type: 'data-message', data: { messageId, role: 'user', parts: [{ type: 'text', text }], ...extra }, transient: true,
});
const start = (messageId: string, runId: string, regenerates?: string): UiChunk[] => [
  { type: 'start', messageId, messageMetadata: { runId, model: 'sim/reasoning', ...(regenerates ? { regenerates } : {}) } },
  { type: 'data-run', data: { runId, status: 'started', messageId }, transient: true },
];
const textPart = (id: string, ...deltas: string[]): UiChunk[] => [
  { type: 'text-start', id },
  ...deltas.map((delta): UiChunk => ({ type: 'text-delta', id, delta })),
  { type: 'text-end', id },
];
const reasoningPart = (id: string, ...deltas: string[]): UiChunk[] => [
  { type: 'reasoning-start', id },
  ...deltas.map((delta): UiChunk => ({ type: 'reasoning-delta', id, delta })),
  { type: 'reasoning-end', id },
];
const end = (runId: string, messageId: string, status: 'completed' | 'interrupted' | 'failed', u: Usage, error?: string): UiChunk[] => [
  { type: 'data-usage', data: { ...u, messageId, model: 'sim/reasoning' }, transient: true },
  { type: 'data-run', data: { runId, status, messageId, ...(error ? { error } : {}) }, transient: true },
  status === 'completed'
    ? { type: 'finish', finishReason: 'stop', messageMetadata: { usage: u } }
    : status === 'interrupted'
      ? { type: 'abort', reason: 'interrupted' }
      : { type: 'error', errorText: error ?? 'failed' },
];

async function snapshot() {
  const q1 = await pool.query(
    `SELECT id, conversation_id, user_id, run_id, role, status, parts, model, usage, error, hidden, first_seq, created_at
     FROM message_views ORDER BY conversation_id, first_seq`,
  );
  const q2 = await pool.query('SELECT id, conversation_id, user_id, content, position, created_at FROM queue_item_views ORDER BY conversation_id, position');
  const q3 = await pool.query(
    `SELECT message_id, conversation_id, user_id, model, prompt_tokens, completion_tokens, reasoning_tokens, total_tokens, cost::text AS cost, source, created_at
     FROM usage_views ORDER BY message_id`,
  );
  const q4 = await pool.query('SELECT id, active_run_id, updated_at FROM conversations ORDER BY id');
  return { messages: q1.rows, queue: q2.rows, usage: q3.rows, conversations: q4.rows };
}

describe('rebuildProjections', () => {
  const ids = {
    u1: randomUUID(), a1: randomUUID(), r1: randomUUID(),
    q1: randomUUID(), a2: randomUUID(), r2: randomUUID(),
    q2: randomUUID(), a3: randomUUID(), r3: randomUUID(),
    a4: randomUUID(), r4: randomUUID(),
    q3: randomUUID(),
    u5: randomUUID(), a5: randomUUID(), r5: randomUUID(),
    // Second conversation: a run still active, and a queued message.
    v1: randomUUID(), b1: randomUUID(), s1: randomUUID(), v2: randomUUID(),
  };
  let c: Conversation;
  let d: Conversation;
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    c = await new Conversation('alice').create();
    d = await new Conversation('bob').create();

    // Run 1: reasoning, text, a tool step, a second text step; two messages are queued meanwhile. Flushed mid-part.
    await c.add(ids.r1, userMsg(ids.u1, 'weather in Paris? @sim {"reasoning":"x"}', { clientMessageId: 'cm-1' })).flush();
    c.add(ids.r1, ...start(ids.a1, ids.r1), { type: 'start-step' }, ...reasoningPart('r1-s1-r1', 'The user ', 'wants weather.'));
    c.add(ids.r1, { type: 'text-start', id: 'r1-s1-t2' }, { type: 'text-delta', id: 'r1-s1-t2', delta: 'Let me ' });
    await c.flush();
    await d.add(ids.s1, userMsg(ids.v1, 'hello from bob'), ...start(ids.b1, ids.s1), { type: 'start-step' }, ...reasoningPart('s1-r', 'hm')).flush();
    c.add(ids.r1, { type: 'text-delta', id: 'r1-s1-t2', delta: 'check.' }, { type: 'text-end', id: 'r1-s1-t2' });
    c.add(ids.r1,
      { type: 'tool-input-start', toolCallId: 'call_1', toolName: 'get_weather', dynamic: true },
      { type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '{"city":' },
      { type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '"Paris"}' },
      { type: 'tool-input-available', toolCallId: 'call_1', toolName: 'get_weather', input: { city: 'Paris' }, dynamic: true });
    c.add(null, { type: 'data-queue', data: { items: [q(ids.q1, 'second question', 50)] }, transient: true });
    await c.flush();
    c.add(ids.r1, { type: 'tool-output-available', toolCallId: 'call_1', output: { tempC: 18 }, dynamic: true }, { type: 'finish-step' });
    c.add(null, { type: 'data-queue', data: { items: [q(ids.q1, 'second question', 50), q(ids.q2, 'third question', 60)] }, transient: true });
    c.add(ids.r1, { type: 'start-step' }, ...textPart('r1-s2-t1', 'It is ', '18°C.'), { type: 'finish-step' }, ...end(ids.r1, ids.a1, 'completed', usage()));
    await c.flush();

    // Run 2 drains q1 and is interrupted mid-text: estimated usage, later backfilled (runId null). Cold draft cache.
    c.add(null, { type: 'data-queue', data: { items: [q(ids.q2, 'third question', 60)] }, transient: true });
    c.add(ids.r2, userMsg(ids.q1, 'second question', { queueItemId: ids.q1 }), ...start(ids.a2, ids.r2), { type: 'start-step' },
      { type: 'text-start', id: 'r2-t' }, { type: 'text-delta', id: 'r2-t', delta: 'Partial ans' });
    await c.flush();
    c.add(ids.r2, { type: 'text-end', id: 'r2-t' }, { type: 'finish-step' },
      ...end(ids.r2, ids.a2, 'interrupted', usage({ promptTokens: 90, completionTokens: 3, reasoningTokens: 0, totalTokens: 93, cost: 0.000096, source: 'estimated', costSource: 'estimated' })));
    await c.flush({ coldDrafts: true });
    await d.add(null, { type: 'data-queue', data: { items: [q(ids.v2, 'bob queued', 70)] }, transient: true }).flush();
    await c.add(null, { type: 'data-usage', data: { ...usage({ promptTokens: 91, completionTokens: 4, reasoningTokens: 0, totalTokens: 95, cost: 0.000099 }), messageId: ids.a2, model: 'sim/reasoning' }, transient: true }).flush();

    // Run 3 drains q2 and completes; a message is queued and removed again.
    c.add(null, { type: 'data-queue', data: { items: [] }, transient: true });
    c.add(ids.r3, userMsg(ids.q2, 'third question', { queueItemId: ids.q2 }), ...start(ids.a3, ids.r3), { type: 'start-step' }, ...textPart('r3-t', 'First answer.'));
    c.add(null, { type: 'data-queue', data: { items: [q(ids.q3, 'never mind', 80)] }, transient: true });
    c.add(null, { type: 'data-queue', data: { items: [] }, transient: true });
    c.add(ids.r3, { type: 'finish-step' }, ...end(ids.r3, ids.a3, 'completed', usage({ cost: 0.0002 })));
    await c.flush();

    // Run 4 regenerates a3: a3 is hidden, a4 replaces it.
    await c.add(ids.r4, ...start(ids.a4, ids.r4, ids.a3), { type: 'start-step' }, ...textPart('r4-t', 'Second ', 'answer.'), { type: 'finish-step' },
      ...end(ids.r4, ids.a4, 'completed', usage({ cost: 0.0003 }))).flush();

    // Run 5 fails at the LLM, after a takeover jump, with an unfinished tool call closed by the new owner.
    await c.add(ids.r5, userMsg(ids.u5, 'and now?'), ...start(ids.a5, ids.r5), { type: 'start-step' },
      { type: 'tool-input-start', toolCallId: 'call_9', toolName: 'search', dynamic: true },
      { type: 'tool-input-delta', toolCallId: 'call_9', inputTextDelta: '{"q":"x' }).flush();
    c.jump(101);
    await c.add(ids.r5,
      { type: 'tool-input-available', toolCallId: 'call_9', toolName: 'search', input: { _raw: '{"q":"x' }, dynamic: true },
      { type: 'tool-output-error', toolCallId: 'call_9', errorText: 'cancelled', dynamic: true },
      { type: 'finish-step' },
      ...end(ids.r5, ids.a5, 'failed', usage({ source: 'estimated', costSource: 'estimated' }), 'the chat service running this conversation stopped')).flush({ coldDrafts: true });

    before = await snapshot();
  });

  it('the inline projection built the expected views', () => {
    const byId = new Map(before.messages.map((m) => [m.id, m]));
    expect(before.messages.filter((m) => m.conversation_id === c.id).map((m) => [m.role, m.status, m.hidden])).toEqual([
      ['user', 'complete', false],
      ['assistant', 'complete', false],
      ['user', 'complete', false],
      ['assistant', 'interrupted', false],
      ['user', 'complete', false],
      ['assistant', 'complete', true],
      ['assistant', 'complete', false],
      ['user', 'complete', false],
      ['assistant', 'failed', false],
    ]);
    expect(byId.get(ids.a1)!.parts).toEqual([
      { type: 'reasoning', text: 'The user wants weather.' },
      { type: 'text', text: 'Let me check.' },
      { type: 'dynamic-tool', toolCallId: 'call_1', toolName: 'get_weather', state: 'output-available', input: { city: 'Paris' }, output: { tempC: 18 }, durationMs: 14 },
      { type: 'text', text: 'It is 18°C.' },
    ]);
    expect(byId.get(ids.a1)!.usage).toEqual(usage());
    expect(byId.get(ids.a2)!.parts).toEqual([{ type: 'text', text: 'Partial ans' }]);
    expect(byId.get(ids.a2)!.usage).toMatchObject({ source: 'provider', totalTokens: 95 });
    expect(byId.get(ids.a4)!.parts).toEqual([{ type: 'text', text: 'Second answer.' }]);
    expect(byId.get(ids.a5)).toMatchObject({ status: 'failed', error: 'the chat service running this conversation stopped' });
    expect(byId.get(ids.a5)!.parts).toEqual([
      { type: 'dynamic-tool', toolCallId: 'call_9', toolName: 'search', state: 'output-error', input: { _raw: '{"q":"x' }, errorText: 'cancelled', durationMs: 7 },
    ]);
    expect(byId.get(ids.b1)).toMatchObject({ status: 'streaming', parts: [{ type: 'reasoning', text: 'hm' }] });
    expect(before.queue.map((r) => [r.conversation_id, r.id, r.position])).toEqual([[d.id, ids.v2, 0]]);
    expect(before.usage.map((u) => [u.message_id, u.source, u.total_tokens]).sort()).toEqual(
      [[ids.a1, 'provider', 140], [ids.a2, 'provider', 95], [ids.a3, 'provider', 140], [ids.a4, 'provider', 140], [ids.a5, 'estimated', 140]].sort(),
    );
    const conv = new Map(before.conversations.map((r) => [r.id, r.active_run_id]));
    expect(conv.get(c.id)).toBeNull();
    expect(conv.get(d.id)).toBe(ids.s1);
  });

  it('rebuilding from zero gives identical views (and again: idempotent)', async () => {
    const total = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
    // Corrupt the views first, to prove the rebuild replaces them.
    await pool.query("UPDATE message_views SET parts = '[]', status = 'streaming'");
    await pool.query('DELETE FROM usage_views WHERE message_id = $1', [ids.a1]);
    await pool.query('UPDATE conversations SET active_run_id = NULL');
    expect(await rebuildProjections(pool)).toBe(Number(total.rows[0].n));
    expect(await snapshot()).toEqual(before);
    expect(await rebuildProjections(pool, 3)).toBe(Number(total.rows[0].n));
    expect(await snapshot()).toEqual(before);
  });

  it('a connection lost mid-rebuild rejects the rebuild (the process does not crash) and leaves the views as they were', async () => {
    const locker = await pool.connect();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      // The rebuild's TRUNCATE waits behind our lock; we terminate its connection while it waits.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE usage_views IN ACCESS SHARE MODE');
      const rebuild = rebuildProjections(pool).then(() => 'rebuilt', (e: Error) => `failed: ${e.message}`);
      let pid: number | undefined;
      for (let i = 0; i < 500 && pid === undefined; i++) {
        const r = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        pid = r.rows[0]?.pid;
        if (pid === undefined) await new Promise((res) => setTimeout(res, 10));
      }
      expect(pid).toBeDefined();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await rebuild).toMatch(/^failed: .*(terminat|connection)/i);
      await locker.query('COMMIT');
    } finally {
      locker.release();
      await admin.end();
    }
    expect(await snapshot()).toEqual(before);
  });
});
