import { jest } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { ChatSubjects, ownerSubject, type ChunkOf, type ConversationEvent, type SendMessageResult } from '@harness/contracts';
import { createTestDatabase, waitFor, type TestDatabase } from '@harness/testing';
import {
  assertRunsWellFormed,
  assertSeqChain,
  CommandClient,
  EventTap,
  FreezableProxy,
  messages,
  newPool,
  seedConversation,
  shape,
  sim,
  startChat,
  startNats,
  startSimulator,
  storedEvents,
  TEST_ENV,
  textOf,
  type ChatInstance,
  type NatsServer,
  type SimulatorHandle,
} from './support.js';

// Two (and, for the takeover, three) chat replicas in one process: same database, same NATS queue group, different
// HARNESS_REPLICA_ID. A conversation has at most one active run across them, commands reach the owner wherever they
// land, and a replica that dies mid-run is taken over: its run is closed as failed after a seq jump.

jest.setTimeout(90_000);

let db: TestDatabase;
let pool: pg.Pool;
let natsServer: NatsServer;
let nc: NatsConnection;
let llm: SimulatorHandle;
let r1: ChatInstance;
let r2: ChatInstance;
let client: CommandClient;

beforeAll(async () => {
  db = await createTestDatabase('chat_replicas');
  pool = newPool(db.url);
  natsServer = await startNats();
  nc = await connect({ servers: natsServer.url });
  llm = await startSimulator({ port: 0, defaultTokensPerSecond: 0 });
  r1 = await startChat({ databaseUrl: db.url, natsUrl: natsServer.url, llmUrl: llm.url, replicaId: 'chat-rep-1' });
  r2 = await startChat({ databaseUrl: db.url, natsUrl: natsServer.url, llmUrl: llm.url, replicaId: 'chat-rep-2' });
  client = await new CommandClient(natsServer.url).connect();
});

afterAll(async () => {
  await client?.close();
  await Promise.all([r1?.stop(), r2?.stop()]);
  await llm?.close();
  await nc?.drain();
  await natsServer?.stop();
  await pool?.end();
  await db?.drop();
});

const of = <T extends ConversationEvent['chunk']['type']>(events: ConversationEvent[], type: T) =>
  events.filter((e) => e.chunk.type === type).map((e) => e.chunk as ChunkOf<T>);
const strip = (events: ConversationEvent[]) => events.map(({ createdAt: _c, ...e }) => e);
const TAKEOVER_ERROR = 'the chat service running this conversation stopped; the partial answer was kept';

async function owner(conversationId: string): Promise<string | null> {
  const r = await pool.query<{ owner: string }>('SELECT owner FROM run_leases WHERE conversation_id = $1 AND expires_at > now()', [conversationId]);
  return r.rows[0]?.owner ?? null;
}

describe('chat replicas', () => {
  it('many concurrent sends over two replicas: never two runs at once in a conversation, every message answered', async () => {
    const convs = await Promise.all([0, 1, 2].map(() => seedConversation(pool)));
    const taps = await Promise.all(convs.map((c) => EventTap.open(nc, c.conversationId)));
    const PER_CONV = 8;
    const sends: Promise<SendMessageResult & { conversationId: string; content: string }>[] = [];
    for (let i = 0; i < PER_CONV; i++) {
      for (const c of convs) {
        const content = sim(`message ${i}`, i % 3 === 0 ? { text: 30, tokensPerSecond: 400 } : { text: `Answer ${i}.` });
        sends.push(
          client.ok<SendMessageResult>(ChatSubjects.send, { userId: c.userId, conversationId: c.conversationId, content }, 20_000)
            .then((r) => ({ ...r, conversationId: c.conversationId, content })),
        );
      }
    }
    const replies = await Promise.all(sends);
    expect(new Set(replies.map((r) => r.messageId)).size).toBe(replies.length);

    for (const [i, c] of convs.entries()) {
      const mine = replies.filter((r) => r.conversationId === c.conversationId);
      // Each reply's seq is unique within the conversation: one numbering, whichever replica answered.
      expect(new Set(mine.map((r) => r.seq)).size).toBe(PER_CONV);
      await taps[i].until((es) => of(es, 'finish').length === PER_CONV, 45_000, `all runs of conversation ${i}`);
      const stored = await waitFor(async () => {
        const s = await storedEvents(pool, c.conversationId);
        return of(s, 'finish').length === PER_CONV ? s : null;
      });
      // The invariants, on the durable stream: no overlap, bracketed, contiguous seqs.
      const runs = assertRunsWellFormed(stored);
      expect(runs).toHaveLength(PER_CONV);
      expect(runs.every((r) => r.terminal === 'finish')).toBe(true);
      expect(assertSeqChain(stored)).toEqual([]);
      // Live = stored, once everything is in.
      await taps[i].until((es) => es.length === stored.length);
      expect(strip(taps[i].events)).toEqual(strip(stored));
      // Every accepted message became a user message followed by its own complete answer.
      expect(of(stored, 'data-message').map((m) => m.data.messageId).sort()).toEqual(mine.map((r) => r.messageId).sort());
      const ms = await messages(pool, c.conversationId);
      expect(ms).toHaveLength(PER_CONV * 2);
      for (let k = 0; k < ms.length; k += 2) {
        expect([ms[k].role, ms[k + 1].role, ms[k + 1].status]).toEqual(['user', 'assistant', 'complete']);
        const text = textOf(ms[k].parts);
        const expected = mine.find((r) => r.messageId === ms[k].id)!;
        expect(text).toBe(expected.content);
        if (!text.includes('"tokensPerSecond"')) expect(textOf(ms[k + 1].parts)).toMatch(/^Answer \d+\.$/);
        expect(textOf(ms[k + 1].parts)).toBeTruthy();
      }
      taps[i].close();
    }
    // Both replicas did take commands (NATS spreads the queue group), and at most one ever owned a conversation at a time.
    expect((await pool.query('SELECT count(*)::int AS n FROM queue_item_views')).rows[0].n).toBe(0);
  });

  it('an interrupt that lands on the replica that does not own the conversation is forwarded to the owner', async () => {
    const c = await seedConversation(pool);
    const tap = await EventTap.open(nc, c.conversationId);
    const base = { userId: c.userId, conversationId: c.conversationId };
    const started = (await r1.registry.dispatch({ type: 'send', payload: { ...base, content: sim('long', { text: 300, tokensPerSecond: 60 }) } })) as SendMessageResult;
    expect(await owner(c.conversationId)).toBe('chat-rep-1');
    await tap.until((es) => of(es, 'text-delta').length > 0);
    // The other replica does not hold the lease: it forwards over NATS to the owner's subject.
    expect(await r2.registry.dispatch({ type: 'interrupt', payload: base })).toEqual({ runId: started.runId });
    const terminal = await tap.terminalOf(started.runId!);
    expect(terminal.chunk).toEqual({ type: 'abort', reason: 'interrupted' });
    // The owner backfills the provider's usage for the interrupted answer.
    await tap.until((es) => es.some((e) => e.chunk.type === 'data-usage' && e.runId === null && e.chunk.data.source === 'provider'), 10_000, 'backfilled usage');
    // A send through the non-owner is forwarded too, and numbered by the owner.
    const next = (await r2.registry.dispatch({ type: 'send', payload: { ...base, content: sim('after', { text: 'After.' }) } })) as SendMessageResult;
    expect(await owner(c.conversationId)).toBe('chat-rep-1');
    await tap.terminalOf(next.runId!);
    assertRunsWellFormed(tap.events);
    expect(assertSeqChain(tap.events)).toEqual([]);
    tap.close();
  });

  it('takeover: a replica that dies mid-run is replaced; its run ends with error after a seq jump, the partial text kept', async () => {
    // The victim reaches Postgres and NATS through proxies we can cut.
    const pgProxy = await FreezableProxy.to(db.url);
    const natsProxy = await FreezableProxy.to(natsServer.url);
    const victim = await startChat({ databaseUrl: pgProxy.via(db.url), natsUrl: natsProxy.via(natsServer.url), llmUrl: llm.url, replicaId: 'chat-victim' });
    let victimStopped = false;
    try {
      const c = await seedConversation(pool, { model: 'sim/reasoning' });
      const tap = await EventTap.open(nc, c.conversationId);
      const base = { userId: c.userId, conversationId: c.conversationId };
      const started = (await victim.registry.dispatch({
        type: 'send', payload: { ...base, content: sim('story', { reasoning: 'Plan it.', text: 400, tokensPerSecond: 50 }) },
      })) as SendMessageResult;
      expect(await owner(c.conversationId)).toBe('chat-victim');
      // Some text is durable before the victim dies.
      await waitFor(async () => {
        const s = await storedEvents(pool, c.conversationId);
        return of(s, 'text-delta').length >= 3;
      }, { timeoutMs: 10_000, description: 'some stored text' });

      // Death: every byte to and from the victim is held, its connections are cut (Postgres rolls back what it had
      // open, NATS drops its subscriptions); new connections it opens hang.
      pgProxy.freeze();
      natsProxy.freeze();
      await Promise.all([pgProxy.cut(), natsProxy.cut()]);
      const diedAt = Date.now();
      const before = await storedEvents(pool, c.conversationId);
      const lastStored = before[before.length - 1].seq;

      const terminal = await tap.terminalOf(started.runId!, 15_000);
      const tookMs = Date.now() - diedAt;
      expect(tookMs).toBeLessThan(Number(TEST_ENV.CHAT_LEASE_TTL_MS) + 4_000);
      expect(terminal.chunk).toEqual({ type: 'error', errorText: TAKEOVER_ERROR });
      const newOwner = await owner(c.conversationId);
      expect(['chat-rep-1', 'chat-rep-2']).toContain(newOwner);

      const stored = await storedEvents(pool, c.conversationId);
      // Nothing the victim had stored was lost; then one jump of 2 × CHAT_MAX_UNFLUSHED_EVENTS + 1 seqs.
      expect(strip(stored.slice(0, before.length))).toEqual(strip(before));
      const jumps = assertSeqChain(stored);
      const jumpBy = 2 * Number(TEST_ENV.CHAT_MAX_UNFLUSHED_EVENTS) + 1;
      expect(jumps).toEqual([{ from: lastStored, to: lastStored + jumpBy + 1 }]);
      const closing = stored.slice(before.length);
      expect(closing[0]).toMatchObject({ seq: lastStored + jumpBy + 1, prev: lastStored, runId: started.runId });
      // The closing events: whatever was open, the step, estimated usage, the failed run, one error.
      expect(shape(closing).slice(-5)).toEqual(['text-end', 'finish-step', 'data-usage', 'data-run', 'error']);
      assertRunsWellFormed(stored);
      expect(of(closing, 'data-usage')[0].data).toMatchObject({ source: 'estimated', model: 'sim/reasoning' });
      expect(of(closing, 'data-run')[0].data).toMatchObject({ runId: started.runId, status: 'failed', error: TAKEOVER_ERROR });
      // Live: the new owner's first event says prev = the last stored seq, so a reader sees a jump, not a gap.
      const firstNew = tap.events.find((e) => e.seq > lastStored + jumpBy);
      expect(firstNew).toMatchObject({ seq: lastStored + jumpBy + 1, prev: lastStored, chunk: closing[0].chunk });
      // What the victim published live but never stored sits inside the skipped range: no seq was reused.
      const ghosts = tap.events.filter((e) => e.seq > lastStored && e.seq <= lastStored + jumpBy);
      expect(ghosts.every((g) => g.runId === started.runId && !stored.some((s) => s.seq === g.seq))).toBe(true);

      // The partial answer is kept, as the stored deltas made it.
      const partial = of(before.filter((e) => e.runId === started.runId), 'text-delta').map((d) => d.delta).join('');
      expect(partial.length).toBeGreaterThan(0);
      const [, assistant] = await messages(pool, c.conversationId);
      expect(assistant).toMatchObject({ status: 'failed', error: TAKEOVER_ERROR });
      expect(of(closing, 'data-usage')[0].data.messageId).toBe(assistant.id);
      expect(textOf(assistant.parts)).toBe(partial);
      expect(assistant.parts[0]).toEqual({ type: 'reasoning', text: 'Plan it.' });
      expect((await pool.query('SELECT active_run_id FROM conversations WHERE id = $1', [c.conversationId])).rows[0].active_run_id).toBeNull();

      // The conversation goes on with the survivors.
      const next = await client.ok<SendMessageResult>(ChatSubjects.send, { ...base, content: sim('are you there?', { text: 'Yes.' }) });
      expect(next.seq).toBe(stored[stored.length - 1].seq + 1);
      expect((await tap.terminalOf(next.runId!)).chunk.type).toBe('finish');

      // The victim comes back to life: it must not write anything (its lease is gone, its appends are fenced).
      tap.close();
      const settled = await storedEvents(pool, c.conversationId);
      pgProxy.thaw();
      natsProxy.thaw();
      await waitFor(() => victim.registry.activeCount === 0, { timeoutMs: 15_000, description: 'the victim to drop the conversation' });
      // Let its NATS connection finish reconnecting before it stops (a close in the middle of a reconnect leaves
      // nats.js dialing on for a while).
      await waitFor(() => victim.nats.flush().then(() => true), { timeoutMs: 15_000, description: 'the victim to reconnect to NATS' });
      await victim.stop();
      victimStopped = true;
      expect(strip(await storedEvents(pool, c.conversationId))).toEqual(strip(settled));
      expect(await owner(c.conversationId)).not.toBe('chat-victim');
    } finally {
      pgProxy.thaw();
      natsProxy.thaw();
      if (!victimStopped) await victim.stop().catch(() => undefined);
      await pgProxy.close();
      await natsProxy.close();
    }
  });

  it('takeover by a command: a message sent while the owner is dead closes the dead run first, then starts its own', async () => {
    const pgProxy = await FreezableProxy.to(db.url);
    const natsProxy = await FreezableProxy.to(natsServer.url);
    const victim = await startChat({ databaseUrl: pgProxy.via(db.url), natsUrl: natsProxy.via(natsServer.url), llmUrl: llm.url, replicaId: 'chat-victim-2' });
    try {
      const c = await seedConversation(pool);
      const tap = await EventTap.open(nc, c.conversationId);
      const base = { userId: c.userId, conversationId: c.conversationId };
      const dead = (await victim.registry.dispatch({ type: 'send', payload: { ...base, content: sim('story', { text: 400, tokensPerSecond: 50 }) } })) as SendMessageResult;
      await waitFor(async () => of(await storedEvents(pool, c.conversationId), 'text-delta').length >= 2, { timeoutMs: 10_000 });
      pgProxy.freeze();
      natsProxy.freeze();
      await Promise.all([pgProxy.cut(), natsProxy.cut()]);

      // Sent at once: a survivor waits for the lease, closes the dead run, then answers. Until NATS has noticed the
      // dead connections, a command may still be routed to the victim and be lost: like a gateway, retry on timeout
      // with the same clientMessageId (idempotent).
      const payload = { ...base, content: sim('hello?', { text: 'I am back.' }), clientMessageId: 'retry-me' };
      let reply: SendMessageResult | undefined;
      for (let attempt = 0; !reply; attempt++) {
        try {
          reply = await client.ok<SendMessageResult>(ChatSubjects.send, payload, 5_000);
        } catch (err) {
          if (attempt >= 2 || !/Timeout/i.test(String((err as Error).name) + String((err as Error).message))) throw err;
        }
      }
      expect(reply.status).toBe('started');
      expect((await tap.terminalOf(reply.runId!)).chunk.type).toBe('finish');
      const stored = await storedEvents(pool, c.conversationId);
      const runs = assertRunsWellFormed(stored);
      expect(runs.map((r) => [r.runId, r.terminal])).toEqual([[dead.runId, 'error'], [reply.runId, 'finish']]);
      const deadEnd = stored.findIndex((e) => e.runId === dead.runId && e.chunk.type === 'error');
      const newMsg = stored.findIndex((e) => e.chunk.type === 'data-message' && e.chunk.data.messageId === reply.messageId);
      expect(deadEnd).toBeLessThan(newMsg);
      expect(assertSeqChain(stored)).toHaveLength(1);
      expect(reply.seq).toBe(stored[newMsg].seq);
      const ms = await messages(pool, c.conversationId);
      expect(ms.map((m) => [m.role, m.status])).toEqual([['user', 'complete'], ['assistant', 'failed'], ['user', 'complete'], ['assistant', 'complete']]);
      tap.close();
      pgProxy.thaw();
      natsProxy.thaw();
      await waitFor(() => victim.registry.activeCount === 0, { timeoutMs: 15_000, description: 'the victim to drop the conversation' });
      await waitFor(() => victim.nats.flush().then(() => true), { timeoutMs: 15_000, description: 'the victim to reconnect to NATS' });
      expect(strip(await storedEvents(pool, c.conversationId))).toEqual(strip(stored));
    } finally {
      pgProxy.thaw();
      natsProxy.thaw();
      await victim.stop().catch(() => undefined);
      await pgProxy.close();
      await natsProxy.close();
    }
  });

  it('a forwarded command whose owner does not answer in time is not sent again (503), and runs once when the owner resumes', async () => {
    const natsProxy = await FreezableProxy.to(natsServer.url);
    const slow = await startChat({ databaseUrl: db.url, natsUrl: natsProxy.via(natsServer.url), llmUrl: llm.url, replicaId: 'chat-slow-owner' });
    try {
      const c = await seedConversation(pool);
      const base = { userId: c.userId, conversationId: c.conversationId };
      // The slow replica owns the conversation (a long run keeps it busy; its lease is renewed over Postgres).
      await slow.registry.dispatch({ type: 'send', payload: { ...base, content: sim('story', { text: 2_000, tokensPerSecond: 40 }) } });
      expect(await owner(c.conversationId)).toBe('chat-slow-owner');
      natsProxy.freeze();
      const started = Date.now();
      const outcome = await r1.registry.dispatch({ type: 'send', payload: { ...base, content: 'second' } }).catch((err: unknown) => err);
      expect(outcome).toMatchObject({ code: 'service_unavailable', message: expect.stringMatching(/did not answer in time/) });
      // One forward and its timeout, not a retry after it (the old loop sent it twice within its deadline).
      expect(Date.now() - started).toBeLessThan(12_000);
      natsProxy.thaw();
      // Commands reach the owner in order: once this one is queued, every earlier copy of 'second' has been handled.
      await r1.registry.dispatch({ type: 'send', payload: { ...base, content: 'third' } });
      const queue = await pool.query<{ content: string }>('SELECT content FROM queue_item_views WHERE conversation_id = $1 ORDER BY position', [c.conversationId]);
      expect(queue.rows.map((r) => r.content)).toEqual(['second', 'third']);
      // The same forwarded command delivered twice (same command id) runs once.
      const duplicate = { type: 'send', payload: { ...base, content: 'fourth' }, commandId: 'dup-1' };
      const replies = await Promise.all([0, 1].map(() => nc.request(ownerSubject(c.conversationId), JSON.stringify(duplicate), { timeout: 5_000 })));
      const answers = replies.map((m) => m.json<{ ok: boolean; data: SendMessageResult }>());
      expect(answers[0]).toEqual(answers[1]);
      const after = await pool.query<{ content: string }>('SELECT content FROM queue_item_views WHERE conversation_id = $1 ORDER BY position', [c.conversationId]);
      expect(after.rows.map((r) => r.content)).toEqual(['second', 'third', 'fourth']);
      // Leave it idle: the queue emptied, the run stopped.
      for (const item of (await pool.query<{ id: string }>('SELECT id FROM queue_item_views WHERE conversation_id = $1', [c.conversationId])).rows) {
        await r1.registry.dispatch({ type: 'remove-queue-item', payload: { ...base, itemId: item.id } });
      }
      await r1.registry.dispatch({ type: 'interrupt', payload: base });
      await waitFor(async () => (await pool.query('SELECT 1 FROM conversations WHERE id = $1 AND active_run_id IS NULL', [c.conversationId])).rowCount === 1, {
        timeoutMs: 10_000, description: 'the run to end',
      });
    } finally {
      natsProxy.thaw();
      await slow.stop().catch(() => undefined);
      await natsProxy.close();
    }
  });
});
