import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import {
  ChatSubjects,
  type ChunkOf,
  type ConversationEvent,
  type InterruptResult,
  type RegenerateResult,
  type SendMessageResult,
  type SendNowResult,
} from '@harness/contracts';
import { createTestDatabase, waitFor, type TestDatabase } from '@harness/testing';
import {
  assertRunsWellFormed,
  assertSeqChain,
  CommandClient,
  EventTap,
  messages,
  newPool,
  seedConversation,
  shape,
  sim,
  startChat,
  startNats,
  startSimulator,
  storedEvents,
  textOf,
  type ChatInstance,
  type NatsServer,
  type SimulatorHandle,
} from './support.js';

// The chat service booted in-process (as main.ts builds it), driven over NATS like the gateway drives it, against a
// real Postgres and the LLM simulator. Every assertion is on the live NATS events, the stored events or the views.

jest.setTimeout(60_000);

let db: TestDatabase;
let pool: pg.Pool;
let natsServer: NatsServer;
let nc: NatsConnection;
let llm: SimulatorHandle;
let chat: ChatInstance;
let client: CommandClient;

beforeAll(async () => {
  db = await createTestDatabase('chat_service');
  pool = newPool(db.url);
  natsServer = await startNats();
  nc = await connect({ servers: natsServer.url });
  llm = await startSimulator({ port: 0, defaultTokensPerSecond: 0 });
  chat = await startChat({ databaseUrl: db.url, natsUrl: natsServer.url, llmUrl: llm.url, replicaId: 'chat-it-a' });
  client = await new CommandClient(natsServer.url).connect();
});

afterAll(async () => {
  await client?.close();
  await chat?.stop();
  await llm?.close();
  await nc?.drain();
  await natsServer?.stop();
  await pool?.end();
  await db?.drop();
});

type Chunk<T extends ConversationEvent['chunk']['type']> = ChunkOf<T>;
const of = <T extends ConversationEvent['chunk']['type']>(events: ConversationEvent[], type: T) =>
  events.filter((e) => e.chunk.type === type).map((e) => e.chunk as Chunk<T>);
const runEvents = (events: ConversationEvent[], runId: string) => events.filter((e) => e.runId === runId);
const deltas = (events: ConversationEvent[], type: 'text-delta' | 'reasoning-delta') => of(events, type).map((c) => c.delta).join('');
const simRequests = async (limit: number) => {
  const res = await fetch(`${llm.url.replace(/\/v1$/, '')}/__sim/requests?limit=${limit}`);
  return ((await res.json()) as { data: { messages: { role: string; content: unknown }[] }[] }).data;
};
const strip = (events: ConversationEvent[]) => events.map(({ createdAt: _c, ...e }) => e);

async function conversation(opts: { model?: string; systemPrompt?: string } = {}) {
  const seeded = await seedConversation(pool, opts);
  const tap = await EventTap.open(nc, seeded.conversationId);
  const base = { userId: seeded.userId, conversationId: seeded.conversationId };
  return {
    ...seeded,
    tap,
    base,
    send: (content: string, clientMessageId?: string) =>
      client.ok<SendMessageResult>(ChatSubjects.send, { ...base, content, ...(clientMessageId ? { clientMessageId } : {}) }),
  };
}

/** Stored events, once the stream has reached the last live event. */
async function storedMatchingLive(conversationId: string, tap: EventTap) {
  const last = tap.events[tap.events.length - 1].seq;
  return waitFor(async () => {
    const s = await storedEvents(pool, conversationId);
    return s.length && s[s.length - 1].seq >= last ? s : null;
  }, { timeoutMs: 5_000, description: 'stored events to reach the live ones' });
}

describe('chat service over NATS', () => {
  it('send → ordered, bracketed events live; stored = live; projections match', async () => {
    const c = await conversation({ model: 'sim/reasoning', systemPrompt: 'You are terse.' });
    const reply = await c.send(sim('Hi there', { reasoning: 'The user greets me. I greet back.', reasoningField: 'reasoning_details', text: 'Hello, friend. Nice to meet you.', cost: 0.00042 }));
    expect(reply).toEqual({ messageId: expect.any(String), status: 'started', runId: expect.any(String), seq: 1 });
    await c.tap.terminalOf(reply.runId!);
    const live = [...c.tap.events];

    expect(shape(live)).toEqual([
      'data-message', 'start', 'data-run', 'start-step',
      'reasoning-start', 'reasoning-delta', 'reasoning-end',
      'text-start', 'text-delta', 'text-end',
      'finish-step', 'data-usage', 'data-run', 'finish',
    ]);
    expect(live[0].seq).toBe(1);
    expect(assertSeqChain(live)).toEqual([]);
    assertRunsWellFormed(live);
    // reasoning arrives as both `reasoning` and `reasoning_details`: counted once.
    expect(deltas(live, 'reasoning-delta')).toBe('The user greets me. I greet back.');
    expect(deltas(live, 'text-delta')).toBe('Hello, friend. Nice to meet you.');

    const [msg] = of(live, 'data-message');
    expect(msg.data).toEqual({ messageId: reply.messageId, role: 'user', parts: [{ type: 'text', text: expect.stringContaining('Hi there') }] });
    const [start] = of(live, 'start');
    expect(start.messageMetadata).toEqual({ runId: reply.runId, model: 'sim/reasoning' });
    const [usage] = of(live, 'data-usage');
    expect(usage.data).toMatchObject({
      messageId: start.messageId, model: 'sim/reasoning', source: 'provider', costSource: 'provider', cost: 0.00042,
      reasoningTokens: Math.ceil('The user greets me. I greet back.'.length / 4),
    });
    expect(usage.data.totalTokens).toBe(usage.data.promptTokens + usage.data.completionTokens);
    expect(of(live, 'data-run').map((c) => c.data)).toEqual([
      { runId: reply.runId, status: 'started', messageId: start.messageId },
      { runId: reply.runId, status: 'completed', messageId: start.messageId },
    ]);
    const [finish] = of(live, 'finish');
    expect(finish).toEqual({ type: 'finish', finishReason: 'stop', messageMetadata: { usage: expect.objectContaining({ cost: 0.00042, source: 'provider' }) } });
    expect(live.filter((e) => e.chunk.type !== 'data-message').every((e) => e.runId === reply.runId)).toBe(true);

    // Durable = live, in the same order.
    const stored = await storedMatchingLive(c.conversationId, c.tap);
    expect(strip(stored)).toEqual(strip(live));

    // Projections.
    const ms = await messages(pool, c.conversationId);
    expect(ms.map((m) => [m.id, m.role, m.status, m.hidden])).toEqual([
      [reply.messageId, 'user', 'complete', false],
      [start.messageId, 'assistant', 'complete', false],
    ]);
    expect(ms[1].parts).toEqual([
      { type: 'reasoning', text: 'The user greets me. I greet back.' },
      { type: 'text', text: 'Hello, friend. Nice to meet you.' },
    ]);
    expect(ms[1]).toMatchObject({ model: 'sim/reasoning', run_id: reply.runId, error: null, usage: expect.objectContaining({ source: 'provider', cost: 0.00042 }) });
    const u = await pool.query('SELECT source, cost::float8 AS cost, total_tokens FROM usage_views WHERE message_id = $1', [start.messageId]);
    expect(u.rows).toEqual([{ source: 'provider', cost: 0.00042, total_tokens: usage.data.totalTokens }]);
    const conv = await pool.query('SELECT active_run_id FROM conversations WHERE id = $1', [c.conversationId]);
    expect(conv.rows[0].active_run_id).toBeNull();

    // The next turn sends the system prompt and the history back, without the reasoning.
    const second = await c.send(sim('And again', { text: 'Second answer.' }));
    await c.tap.terminalOf(second.runId!);
    const [req] = await simRequests(1);
    expect(req.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: expect.stringContaining('Hi there') },
      { role: 'assistant', content: 'Hello, friend. Nice to meet you.' },
      { role: 'user', content: expect.stringContaining('And again') },
    ]);
    expect(second.seq).toBe(live[live.length - 1].seq + 1);
    assertSeqChain(c.tap.events);
    c.tap.close();
  });

  it('send is idempotent by clientMessageId: same reply, one message', async () => {
    const c = await conversation();
    const content = sim('once only', { text: 'Only once.' });
    const [x, y] = await Promise.all([c.send(content, 'client-msg-1'), c.send(content, 'client-msg-1')]);
    const again = await c.send(content, 'client-msg-1');
    // One of the two concurrent sends stored the message; the other, and the later one, are marked as replays.
    const [a, b] = x.replayed ? [y, x] : [x, y];
    expect(a.replayed).toBeUndefined();
    expect(b).toEqual({ ...a, replayed: true });
    expect(again).toEqual({ ...a, replayed: true });
    await c.tap.terminalOf(a.runId!);
    const stored = await storedMatchingLive(c.conversationId, c.tap);
    expect(of(stored, 'data-message')).toHaveLength(1);
    expect(of(stored, 'start')).toHaveLength(1);
    const ms = await messages(pool, c.conversationId);
    expect(ms.map((m) => m.role)).toEqual(['user', 'assistant']);
    const keys = await pool.query('SELECT response FROM idempotency_keys WHERE conversation_id = $1', [c.conversationId]);
    expect(keys.rows).toEqual([{ response: a }]);
    // Another client id is another message.
    const other = await c.send(sim('once only', { text: 'Twice.' }), 'client-msg-2');
    expect(other.messageId).not.toBe(a.messageId);
    await c.tap.terminalOf(other.runId!);
    c.tap.close();
  });

  it('three messages queued during a run run one after another, in order', async () => {
    const c = await conversation();
    const first = await c.send(sim('first', { text: 60, tokensPerSecond: 100 }));
    expect(first.status).toBe('started');
    const queued: SendMessageResult[] = [];
    for (const n of ['one', 'two', 'three']) queued.push(await c.send(sim(`queued ${n}`, { text: `Answer ${n}.` })));
    expect(queued.map((q) => q.status)).toEqual(['queued', 'queued', 'queued']);
    expect(queued.every((q) => q.queueItemId === q.messageId && q.runId === undefined)).toBe(true);

    const view = await pool.query('SELECT id, position FROM queue_item_views WHERE conversation_id = $1 ORDER BY position', [c.conversationId]);
    expect(view.rows.map((r) => r.id)).toEqual(queued.map((q) => q.messageId));

    await c.tap.until((es) => of(es, 'finish').length === 4, 30_000, 'four finished runs');
    const live = c.tap.events;
    const runs = assertRunsWellFormed(live);
    expect(runs.map((r) => r.terminal)).toEqual(['finish', 'finish', 'finish', 'finish']);
    assertSeqChain(live);
    // User messages in order, the queued ones consuming their queue items.
    expect(of(live, 'data-message').map((m) => [m.data.messageId, m.data.queueItemId])).toEqual([
      [first.messageId, undefined],
      ...queued.map((q) => [q.messageId, q.messageId]),
    ]);
    // The queue grew to three, then drained from the front.
    expect(of(live, 'data-queue').map((q) => q.data.items.map((i) => i.id))).toEqual([
      [queued[0].messageId],
      [queued[0].messageId, queued[1].messageId],
      [queued[0].messageId, queued[1].messageId, queued[2].messageId],
      [queued[1].messageId, queued[2].messageId],
      [queued[2].messageId],
      [],
    ]);
    const ms = await messages(pool, c.conversationId);
    expect(ms.filter((m) => m.role === 'assistant').map((m) => textOf(m.parts)).slice(1)).toEqual(['Answer one.', 'Answer two.', 'Answer three.']);
    expect(ms.every((m) => m.status === 'complete')).toBe(true);
    expect((await pool.query('SELECT 1 FROM queue_item_views WHERE conversation_id = $1', [c.conversationId])).rowCount).toBe(0);
    expect(strip(await storedMatchingLive(c.conversationId, c.tap))).toEqual(strip(live));
    c.tap.close();
  });

  it('remove a queue item; removing it twice is not_found', async () => {
    const c = await conversation();
    const first = await c.send(sim('long', { text: 80, tokensPerSecond: 100 }));
    const a = await c.send(sim('keep', { text: 'Kept.' }));
    const b = await c.send(sim('drop', { text: 'Dropped.' }));
    expect(await client.ok(ChatSubjects.removeQueueItem, { ...c.base, itemId: b.queueItemId })).toEqual({ removed: true });
    const again = await client.request(ChatSubjects.removeQueueItem, { ...c.base, itemId: b.queueItemId });
    expect(again).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await c.tap.until((es) => of(es, 'finish').length === 2, 30_000);
    expect(of(c.tap.events, 'data-message').map((m) => m.data.messageId)).toEqual([first.messageId, a.messageId]);
    const ms = await messages(pool, c.conversationId);
    expect(ms.map((m) => textOf(m.parts))).not.toContain('Dropped.');
    c.tap.close();
  });

  it('send-now: interrupts the active run and runs that item next, then the rest of the queue', async () => {
    const c = await conversation();
    const first = await c.send(sim('long one', { text: 200, tokensPerSecond: 60 }));
    const a = await c.send(sim('item a', { text: 'A done.' }));
    const b = await c.send(sim('item b', { text: 'B done.' }));
    await c.tap.until((es) => of(es, 'text-delta').length > 0);
    const r = await client.ok<SendNowResult>(ChatSubjects.sendNow, { ...c.base, itemId: b.queueItemId });
    expect(r).toEqual({ interruptedRunId: first.runId });
    const terminal = await c.tap.terminalOf(first.runId!);
    expect(terminal.chunk).toEqual({ type: 'abort', reason: 'send-now' });
    await c.tap.until((es) => of(es, 'finish').length === 2, 30_000);
    const live = c.tap.events;
    assertRunsWellFormed(live);
    expect(of(live, 'data-message').map((m) => m.data.messageId)).toEqual([first.messageId, b.messageId, a.messageId]);
    const ms = await messages(pool, c.conversationId);
    expect(ms.filter((m) => m.role === 'assistant').map((m) => [m.status, textOf(m.parts).slice(0, 7)])).toEqual([
      ['interrupted', expect.any(String)],
      ['complete', 'B done.'],
      ['complete', 'A done.'],
    ]);
    // send-now of an item that is not queued.
    const idle = await conversation();
    const unknown = await client.request(ChatSubjects.sendNow, { ...idle.base, itemId: randomUUID() });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    c.tap.close();
    idle.tap.close();
  });

  it('interrupt mid-run: abort, message interrupted with its partial text, usage estimated then backfilled from the provider', async () => {
    const c = await conversation({ model: 'sim/reasoning' });
    expect(await client.ok<InterruptResult>(ChatSubjects.interrupt, c.base)).toEqual({ runId: null });
    const reply = await c.send(sim('tell me a long story', { reasoning: 'Plan: a story.', text: 300, tokensPerSecond: 80 }));
    await c.tap.until((es) => of(es, 'text-delta').length >= 5);
    expect(await client.ok<InterruptResult>(ChatSubjects.interrupt, c.base)).toEqual({ runId: reply.runId });
    const terminal = await c.tap.terminalOf(reply.runId!);
    expect(terminal.chunk).toEqual({ type: 'abort', reason: 'interrupted' });
    const run = runEvents(c.tap.events, reply.runId!);
    assertRunsWellFormed(c.tap.events);
    expect(shape(run).slice(-5)).toEqual(['text-end', 'finish-step', 'data-usage', 'data-run', 'abort']);
    const [estimated] = of(run, 'data-usage');
    expect(estimated.data).toMatchObject({ source: 'estimated', costSource: 'estimated' });
    expect(estimated.data.completionTokens).toBeGreaterThan(0);
    expect(of(run, 'data-run').at(-1)!.data).toMatchObject({ runId: reply.runId, status: 'interrupted' });

    // The backfill: a data-usage outside the run, with the provider's figures for the same message.
    const backfill = await c.tap.until((es) => es.some((e) => e.chunk.type === 'data-usage' && e.runId === null), 15_000, 'backfilled usage');
    const provider = of(backfill.filter((e) => e.runId === null), 'data-usage')[0];
    expect(provider.data).toMatchObject({ messageId: estimated.data.messageId, source: 'provider', costSource: 'provider', model: 'sim/reasoning' });
    expect(provider.data.promptTokens).toBeGreaterThan(0);
    expect(provider.data.reasoningTokens).toBe(Math.ceil('Plan: a story.'.length / 4));

    const partial = deltas(run, 'text-delta');
    expect(partial.length).toBeGreaterThan(0);
    await waitFor(async () => {
      const [, assistant] = await messages(pool, c.conversationId);
      expect(assistant).toMatchObject({ status: 'interrupted', usage: expect.objectContaining({ source: 'provider' }) });
      expect(textOf(assistant.parts)).toBe(partial);
      const u = await pool.query('SELECT source FROM usage_views WHERE message_id = $1', [estimated.data.messageId]);
      expect(u.rows).toEqual([{ source: 'provider' }]);
      return true;
    }, { timeoutMs: 5_000 });
    assertSeqChain(c.tap.events);

    // The conversation goes on.
    const next = await c.send(sim('next', { text: 'Still here.' }));
    expect((await c.tap.terminalOf(next.runId!)).chunk.type).toBe('finish');
    c.tap.close();
  });

  it('interrupt before the first token: an empty interrupted answer, closed step, usage estimated then backfilled', async () => {
    const c = await conversation();
    const reply = await c.send(sim('slow start', { firstTokenDelayMs: 5_000, text: 'too late' }));
    await c.tap.until((es) => es.some((e) => e.chunk.type === 'start-step'));
    await client.ok(ChatSubjects.interrupt, c.base);
    expect((await c.tap.terminalOf(reply.runId!)).chunk).toEqual({ type: 'abort', reason: 'interrupted' });
    const run = runEvents(c.tap.events, reply.runId!);
    expect(shape(run)).toEqual(['data-message', 'start', 'data-run', 'start-step', 'finish-step', 'data-usage', 'data-run', 'abort']);
    expect(of(run, 'data-usage')[0].data).toMatchObject({ source: 'estimated', completionTokens: 0 });
    const backfill = await c.tap.until((es) => es.some((e) => e.chunk.type === 'data-usage' && e.runId === null), 10_000, 'backfilled usage');
    expect(of(backfill.filter((e) => e.runId === null), 'data-usage')[0].data).toMatchObject({ source: 'provider', completionTokens: 0 });
    const [, assistant] = await messages(pool, c.conversationId);
    expect(assistant).toMatchObject({ status: 'interrupted', parts: [] });
    c.tap.close();
  });

  it('regenerate hides the old answer (and what followed) and streams a new one', async () => {
    const c = await conversation();
    const first = await c.send(sim('question', { text: 'Old answer.' }));
    await c.tap.terminalOf(first.runId!);
    const [, oldAnswer] = await messages(pool, c.conversationId);

    expect(await client.request(ChatSubjects.regenerate, { ...c.base, messageId: first.messageId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await client.request(ChatSubjects.regenerate, { ...c.base, messageId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const slow = await c.send(sim('slow', { text: 100, tokensPerSecond: 80 }));
    await c.tap.until((es) => runEvents(es, slow.runId!).some((e) => e.chunk.type === 'text-delta'));
    expect(await client.request(ChatSubjects.regenerate, { ...c.base, messageId: oldAnswer.id })).toMatchObject({ ok: false, error: { code: 'run_active' } });
    await client.ok(ChatSubjects.interrupt, c.base);
    await c.tap.terminalOf(slow.runId!);

    const regen = await client.ok<RegenerateResult>(ChatSubjects.regenerate, { ...c.base, messageId: oldAnswer.id });
    await c.tap.terminalOf(regen.runId);
    const run = runEvents(c.tap.events, regen.runId);
    expect(run[0].seq).toBe(regen.seq);
    expect(run[0].chunk).toMatchObject({ type: 'start', messageMetadata: { runId: regen.runId, regenerates: oldAnswer.id } });
    expect(of(run, 'data-message')).toEqual([]);
    assertRunsWellFormed(c.tap.events);

    const ms = await messages(pool, c.conversationId);
    expect(ms.map((m) => [m.role, m.hidden, m.status])).toEqual([
      ['user', false, 'complete'],
      ['assistant', true, 'complete'],
      ['user', true, 'complete'],
      ['assistant', true, 'interrupted'],
      ['assistant', false, 'complete'],
    ]);
    expect(textOf(ms[4].parts)).toBe('Old answer.');
    // The model saw the question only, not the hidden branch.
    const [req] = await simRequests(1);
    expect(req.messages).toEqual([{ role: 'user', content: expect.stringContaining('question') }]);
    // A hidden message cannot be regenerated.
    expect(await client.request(ChatSubjects.regenerate, { ...c.base, messageId: oldAnswer.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    c.tap.close();
  });

  it.each([
    ['a mid-stream error', { text: 40, errorAfter: 5 }, /simulated upstream error/],
    ['a stalled stream', { text: 40, stallAfter: 5 }, /sent nothing for 1500 ms/],
    ['a malformed chunk', { text: 40, malformedAfter: 5 }, /malformed stream chunk/],
    ['HTTP 429', { status: 429 }, /HTTP 429/],
    ['a dropped connection', { text: 40, errorAfter: 5, errorMode: 'drop' }, /the LLM stream failed/],
  ])('%s ends the run with error, a clear errorText, and the next message still works', async (_what, scenario, errorText) => {
    const c = await conversation();
    const reply = await c.send(sim('go', scenario));
    const terminal = await c.tap.terminalOf(reply.runId!, 20_000);
    expect(terminal.chunk.type).toBe('error');
    const text = (terminal.chunk as Chunk<'error'>).errorText;
    expect(text).toMatch(errorText);
    const run = runEvents(c.tap.events, reply.runId!);
    assertRunsWellFormed(c.tap.events);
    expect(of(run, 'data-run').at(-1)!.data).toEqual({ runId: reply.runId, status: 'failed', messageId: expect.any(String), error: text });
    expect(of(run, 'data-usage')).toHaveLength(1);
    if ('text' in scenario) expect(deltas(run, 'text-delta').length).toBeGreaterThan(0);
    const [, failed] = await messages(pool, c.conversationId);
    expect(failed).toMatchObject({ status: 'failed', error: text });
    expect(textOf(failed.parts)).toBe(deltas(run, 'text-delta'));

    const next = await c.send(sim('again', { text: 'Recovered.' }));
    expect(next.status).toBe('started');
    expect((await c.tap.terminalOf(next.runId!)).chunk.type).toBe('finish');
    expect(textOf((await messages(pool, c.conversationId))[3].parts)).toBe('Recovered.');
    assertSeqChain(c.tap.events);
    c.tap.close();
  });

  it('tool calls: interleaved deltas reassemble, an unavailable tool fails clearly, the loop continues with the results', async () => {
    const c = await conversation();
    const reply = await c.send(sim('weather and time?', {
      text: 'Checking.',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' }, id: 'call_w' },
        { name: 'get_time', arguments: '{"tz": "Europe/Paris",', id: 'call_t' },
      ],
      interleave: true,
      afterTools: 'I could not use the tools.',
    }));
    const terminal = await c.tap.terminalOf(reply.runId!);
    expect(terminal.chunk).toMatchObject({ type: 'finish', finishReason: 'stop' });
    const run = runEvents(c.tap.events, reply.runId!);
    assertRunsWellFormed(c.tap.events);
    expect(shape(run)).toEqual([
      'data-message', 'start', 'data-run',
      'start-step', 'text-start', 'text-delta', 'text-end',
      'tool-input-start', 'tool-input-start', 'tool-input-delta',
      'tool-input-available', 'tool-input-available', 'tool-output-error', 'tool-output-error', 'finish-step',
      'start-step', 'text-start', 'text-delta', 'text-end', 'finish-step',
      'data-usage', 'data-run', 'finish',
    ].filter((t, i, all) => !(t === 'tool-input-delta' && all[i - 1] === 'tool-input-delta')));
    const args = (id: string) => of(run, 'tool-input-delta').filter((d) => d.toolCallId === id).map((d) => d.inputTextDelta).join('');
    expect(args('call_w')).toBe('{"city":"Paris","unit":"celsius"}');
    expect(args('call_t')).toBe('{"tz": "Europe/Paris",');
    expect(of(run, 'tool-input-available').map((t) => [t.toolCallId, t.toolName, t.input])).toEqual([
      ['call_w', 'get_weather', { city: 'Paris', unit: 'celsius' }],
      ['call_t', 'get_time', { _invalidJson: '{"tz": "Europe/Paris",' }],
    ]);
    expect(of(run, 'tool-output-error').map((t) => [t.toolCallId, t.errorText]).sort()).toEqual([
      ['call_t', 'no tool named "get_time" is available to this harness'],
      ['call_w', 'no tool named "get_weather" is available to this harness'],
    ]);
    // Two LLM calls, both reported usage: the total is the provider's.
    expect(of(run, 'data-usage')[0].data).toMatchObject({ source: 'provider', costSource: 'provider' });
    // The second call carried the assistant's tool calls and one tool message per call.
    const [second] = await simRequests(1);
    expect(second.messages.slice(1)).toEqual([
      {
        role: 'assistant', content: 'Checking.',
        tool_calls: [
          { id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
          { id: 'call_t', type: 'function', function: { name: 'get_time', arguments: '{"_invalidJson":"{\\"tz\\": \\"Europe/Paris\\","}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_w', content: 'Error: no tool named "get_weather" is available to this harness' },
      { role: 'tool', tool_call_id: 'call_t', content: 'Error: no tool named "get_time" is available to this harness' },
    ]);
    const [, assistant] = await messages(pool, c.conversationId);
    expect(assistant.status).toBe('complete');
    expect(assistant.parts.map((p) => [p.type, (p as { state?: string }).state ?? (p as { text?: string }).text])).toEqual([
      ['text', 'Checking.'],
      ['dynamic-tool', 'output-error'],
      ['dynamic-tool', 'output-error'],
      ['text', 'I could not use the tools.'],
    ]);
    c.tap.close();
  });

  it('validation and ownership: bad payloads are validation_failed, another user gets not_found', async () => {
    const c = await conversation();
    expect(await client.request(ChatSubjects.send, { ...c.base, content: '' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await client.request(ChatSubjects.send, { ...c.base, conversationId: 'not-a-uuid', content: 'x' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await client.request(ChatSubjects.send, { ...c.base, userId: 'mallory', content: 'x' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await client.request(ChatSubjects.interrupt, { ...c.base, userId: 'mallory' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await storedEvents(pool, c.conversationId)).toEqual([]);
    c.tap.close();
  });

  it('delete while a batch of the run is being appended: the batch is deleted too (no orphan events)', async () => {
    const c = await seedConversation(pool);
    const tap = await EventTap.open(nc, c.conversationId);
    const base = { userId: c.userId, conversationId: c.conversationId };
    const r = await client.ok<SendMessageResult>(ChatSubjects.send, { ...base, content: sim('long', { text: 400, tokensPerSecond: 100 }) });
    await tap.until((es) => runEvents(es, r.runId!).some((e) => e.chunk.type === 'text-delta'));
    // Hold the stream row: the writer's next batch waits inside its append transaction.
    const locker = await pool.connect();
    const lockWaiters = async () =>
      Number((await pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n);
    let deleted: Promise<unknown>;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM streams WHERE stream_id = $1 FOR UPDATE', [c.conversationId]);
      await waitFor(async () => (await lockWaiters()) >= 1, { timeoutMs: 5_000, intervalMs: 10, description: 'the writer to wait on the stream row' });
      deleted = client.ok(ChatSubjects.deleteConversation, base);
      await waitFor(async () => (await lockWaiters()) >= 2, { timeoutMs: 5_000, intervalMs: 10, description: 'the delete to wait on the stream row' });
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    expect(await deleted!).toEqual({ deleted: true });
    const left = await pool.query('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [c.conversationId]);
    expect(left.rows[0].n).toBe(0);
    const views = await pool.query('SELECT count(*)::int AS n FROM message_views WHERE conversation_id = $1', [c.conversationId]);
    expect(views.rows[0].n).toBe(0);
    tap.close();
  });

  it('delete failing on a lost database connection answers internal (the service does not crash); a retry deletes', async () => {
    const c = await conversation();
    const r = await c.send(sim('hi', { text: 'Hi.' }));
    await c.tap.terminalOf(r.runId!);
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM streams WHERE stream_id = $1 FOR UPDATE', [c.conversationId]);
      const deleted = client.request(ChatSubjects.deleteConversation, c.base);
      const pid = await waitFor(async () => {
        const w = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return w.rows[0]?.pid;
      }, { timeoutMs: 5_000, intervalMs: 10, description: 'the delete to wait on the stream row' });
      await pool.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await deleted).toMatchObject({ ok: false, error: { code: 'internal' } });
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    expect((await pool.query('SELECT 1 FROM conversations WHERE id = $1', [c.conversationId])).rowCount).toBe(1);
    expect(await client.ok(ChatSubjects.deleteConversation, c.base)).toEqual({ deleted: true });
    expect((await pool.query('SELECT 1 FROM events WHERE stream_id = $1', [c.conversationId])).rowCount).toBe(0);
    c.tap.close();
  });

  it('delete conversation during a run: stops it and removes everything', async () => {
    const c = await conversation();
    const done = await c.send(sim('first', { text: 'Done.' }), 'cm-del');
    await c.tap.terminalOf(done.runId!);
    const running = await c.send(sim('long', { text: 300, tokensPerSecond: 80 }));
    await c.send(sim('queued', { text: 'never' }));
    await c.tap.until((es) => runEvents(es, running.runId!).some((e) => e.chunk.type === 'text-delta'));
    expect(await client.ok(ChatSubjects.deleteConversation, c.base)).toEqual({ deleted: true });

    const counts = async () => {
      const out: Record<string, number> = {};
      for (const [table, where] of [
        ['events', 'stream_id = $1'], ['streams', 'stream_id = $1'], ['message_views', 'conversation_id = $1::uuid'],
        ['queue_item_views', 'conversation_id = $1::uuid'], ['usage_views', 'conversation_id = $1::uuid'],
        ['idempotency_keys', 'conversation_id = $1::uuid'], ['conversations', 'id = $1::uuid'], ['run_leases', 'conversation_id = $1::uuid'],
      ]) out[table] = (await pool.query(`SELECT 1 FROM ${table} WHERE ${where}`, [c.conversationId])).rowCount ?? -1;
      return out;
    };
    const zero = { events: 0, streams: 0, message_views: 0, queue_item_views: 0, usage_views: 0, idempotency_keys: 0, conversations: 0, run_leases: 0 };
    expect(await counts()).toEqual(zero);
    expect(await client.request(ChatSubjects.send, { ...c.base, content: 'hello?' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await client.request(ChatSubjects.deleteConversation, c.base)).toMatchObject({ ok: false, error: { code: 'not_found' } });

    // Another conversation's full round trip later, nothing of the deleted one came back (no late run end, no drain).
    const other = await conversation();
    const r = await other.send(sim('still fine', { text: 'Fine.' }));
    await other.tap.terminalOf(r.runId!);
    expect(await counts()).toEqual(zero);
    expect(c.tap.events.some((e) => e.runId === running.runId && (e.chunk.type === 'finish' || e.chunk.type === 'error' || e.chunk.type === 'abort'))).toBe(false);
    c.tap.close();
    other.tap.close();
  });
});
