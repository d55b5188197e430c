import { jest } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { StreamConflictError, EventStore } from '@harness/event-store';
import { conversationEventsSubject, parseLiveMessage, type ConversationEvent, type LiveMessage, type UiChunk } from '@harness/contracts';
import { createLogger } from '@harness/logging';
import { createTestDatabase, waitFor, type TestDatabase } from '@harness/testing';
import { EventWriter } from '../../src/conversation/event-writer.js';
import { LivePublisher } from '../../src/conversation/live-publisher.js';
import { assertSeqChain, EventTap, seedConversation, startNats, type NatsServer } from './support.js';

// The event writer's two paths against real Postgres and NATS: live events are published in seq order, the durable
// path stores exactly the same events in the same order, even when a commit and live deltas race.

jest.setTimeout(30_000);

let db: TestDatabase;
let pool: pg.Pool;
let natsServer: NatsServer;
let nc: NatsConnection;
const logger = createLogger('event-writer-test', 'silent');

beforeAll(async () => {
  db = await createTestDatabase('chat_writer');
  pool = new pg.Pool({ connectionString: db.url, max: 10 });
  pool.on('error', () => undefined); // idle connections are terminated when the database is dropped
  natsServer = await startNats();
  nc = await connect({ servers: natsServer.url });
});
afterAll(async () => {
  await nc?.drain();
  await natsServer?.stop();
  await pool?.end();
  await db?.drop();
});

const delta = (s: string): UiChunk => ({ type: 'text-delta', id: 't', delta: s });
const RUN = '00000000-0000-4000-8000-000000000001';

async function setup(opts: { version?: number; maxLivePayload?: number } = {}) {
  const { conversationId, userId } = await seedConversation(pool);
  await pool.query("INSERT INTO run_leases (conversation_id, owner, fencing_token, expires_at) VALUES ($1, 'me', 3, now() + interval '1 minute')", [conversationId]);
  const store = new EventStore(pool);
  if (opts.version) {
    await store.append(conversationId, 0, Array.from({ length: opts.version }, (_, i) => ({ seq: i + 1, chunk: delta(`old${i + 1}`), runId: null })));
  }
  const tap = await EventTap.open(nc, conversationId);
  const lost: string[] = [];
  const folded: number[] = [];
  const writer = new EventWriter(
    {
      store, live: new LivePublisher(nc, logger, opts.maxLivePayload), logger, conversationId, userId, fencingToken: 3n, drafts: new Map(),
      // No timer flush during the test unless asked: the test decides when batches go to Postgres.
      flushIntervalMs: 60_000, flushMaxEvents: 10_000, maxUnflushedEvents: 10_000,
      onLost: (reason) => lost.push(reason),
      onEvent: (e) => folded.push(e.seq),
    },
    opts.version ?? 0,
  );
  return { conversationId, store, tap, writer, lost, folded };
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms).unref())]);

/** Every live message of a conversation, events and references alike, each with what the store held when it arrived. */
async function rawTap(store: EventStore, conversationId: string) {
  const got: { msg: LiveMessage; storedSeqs: Promise<number[]> }[] = [];
  const sub = nc.subscribe(conversationEventsSubject(conversationId), {
    callback: (err, msg) => {
      if (err) return;
      const parsed = parseLiveMessage(msg.json());
      if (!parsed.success) throw new Error('a live message that is neither an event nor a reference');
      got.push({ msg: parsed.data, storedSeqs: store.read(conversationId).then((es) => es.map((e) => e.seq)) });
    },
  });
  await nc.flush();
  return { got, close: () => sub.unsubscribe() };
}

describe('EventWriter', () => {
  it('an event too large for one live message goes out as a reference, only once it is stored; order is kept', async () => {
    const { conversationId, store, writer, lost } = await setup({ maxLivePayload: 4_096 });
    const tap = await rawTap(store, conversationId);
    const big = '\u0001'.repeat(2_000); // 12,000 bytes as JSON
    await writer.publish([{ chunk: delta('small'), runId: RUN }, { chunk: delta(big), runId: RUN }, { chunk: delta('after'), runId: RUN }]);
    await waitFor(() => tap.got.length === 3, { timeoutMs: 5_000, description: 'three live messages' });
    expect(lost).toEqual([]);
    expect(tap.got.map((g) => g.msg.seq)).toEqual([1, 2, 3]);
    const [first, ref, last] = tap.got.map((g) => g.msg);
    expect('chunk' in first && first.chunk).toEqual(delta('small'));
    expect(ref).toEqual({ conversationId, seq: 2, prev: 1, runId: RUN, createdAt: expect.any(String), ref: true });
    expect('chunk' in last && last.chunk).toEqual(delta('after'));
    // The reference was published after its event was stored: a reader that fetches it finds it.
    expect(await tap.got[1].storedSeqs).toEqual(expect.arrayContaining([2]));
    const stored = await store.read(conversationId);
    expect(stored.find((e) => e.seq === 2)!.chunk).toEqual(delta(big));
    tap.close();
    writer.close();
  });

  it("a committed event over the server's max_payload (1 MiB here) is stored and referenced; the process does not throw", async () => {
    const { conversationId, store, writer, lost } = await setup();
    const tap = await rawTap(store, conversationId);
    const items = Array.from({ length: 3 }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, content: '\u0001'.repeat(99_000), createdAt: new Date().toISOString() }));
    const [ev] = await writer.commit([{ chunk: { type: 'data-queue', data: { items }, transient: true }, runId: null }]);
    expect(Buffer.byteLength(JSON.stringify(ev))).toBeGreaterThan(nc.info!.max_payload);
    await waitFor(() => tap.got.length === 1, { timeoutMs: 5_000, description: 'the reference' });
    expect(tap.got[0].msg).toMatchObject({ seq: ev.seq, ref: true });
    expect((await store.read(conversationId))[0].chunk).toEqual(ev.chunk);
    expect(lost).toEqual([]);
    tap.close();
    writer.close();
  });

  it('publishes live at once, stores in batches; stored = live, same seqs and prev', async () => {
    const { conversationId, store, tap, writer, folded } = await setup();
    await writer.publish([{ chunk: delta('a'), runId: RUN }, { chunk: delta('b'), runId: RUN }]);
    await tap.until((es) => es.length === 2);
    expect(await store.read(conversationId)).toEqual([]);
    await writer.commit([{ chunk: { type: 'data-queue', data: { items: [] } }, runId: null }]);
    const stored = await store.read(conversationId);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);
    const live = await tap.until((es) => es.length === 3);
    expect(live.map(({ createdAt: _c, ...e }) => e)).toEqual(stored.map(({ createdAt: _c, ...e }) => e));
    expect(folded).toEqual([1, 2, 3]);
    writer.close();
    tap.close();
  });

  it('a commit racing live deltas and a flush: stored in seq order, nothing lost, live in seq order', async () => {
    const { conversationId, store, tap, writer, lost } = await setup();
    await writer.publish([{ chunk: delta('1'), runId: RUN }, { chunk: delta('2'), runId: RUN }]);
    // A flush is queued, then a commit (seq 3), then a live delta (seq 4) is numbered before either has run.
    const flushed = writer.flush();
    const committed = writer.commit([{ chunk: { type: 'data-queue', data: { items: [] } }, runId: null }]);
    const published = writer.publish([{ chunk: delta('4'), runId: RUN }]);
    await within(Promise.all([flushed, committed, published]), 5_000, 'flush + commit + publish');
    await within(writer.flush(), 5_000, 'final flush');
    expect(lost).toEqual([]);
    const stored = await store.read(conversationId);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    assertSeqChain(stored);
    const live = await tap.until((es) => es.length === 4);
    expect(live.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(live.map((e) => e.prev)).toEqual([0, 1, 2, 3]);
    writer.close();
    tap.close();
  });

  it('many commits racing a stream of deltas (a run streaming while messages are queued)', async () => {
    const { conversationId, store, tap, writer, lost } = await setup();
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      ops.push(writer.publish([{ chunk: delta(`d${i}`), runId: RUN }]));
      if (i % 7 === 3) ops.push(writer.commit([{ chunk: { type: 'data-queue', data: { items: [] } }, runId: null }]));
      if (i % 5 === 0) ops.push(writer.flush());
      if (i % 11 === 0) await new Promise((r) => setImmediate(r));
    }
    await within(Promise.all(ops), 10_000, 'all writes');
    await writer.flush();
    expect(lost).toEqual([]);
    const stored = await store.read(conversationId);
    expect(stored).toHaveLength(69);
    assertSeqChain(stored);
    const live = await tap.until((es) => es.length === 69);
    assertSeqChain(live);
    expect(live.map((e) => [e.seq, e.chunk])).toEqual(stored.map((e) => [e.seq, e.chunk]));
    writer.close();
    tap.close();
  });

  it('after a jump the first event carries prev = the last real seq, live and stored alike', async () => {
    const { conversationId, store, tap, writer } = await setup({ version: 5 });
    writer.jump(51);
    const [ev] = await writer.commit([{ chunk: { type: 'error', errorText: 'taken over' }, runId: RUN }]);
    expect(ev.seq).toBe(57);
    expect(ev.prev).toBe(5);
    const live = await tap.until((es) => es.length === 1);
    expect(live[0]).toMatchObject({ seq: 57, prev: 5 });
    const stored = await store.read(conversationId, { after: 5 });
    expect(stored.map((e) => [e.seq, e.prev])).toEqual([[57, 5]]);
    await writer.publish([{ chunk: delta('next'), runId: RUN }]);
    const next = await tap.until((es) => es.length === 2);
    expect(next[1]).toMatchObject({ seq: 58, prev: 57 });
    writer.close();
    tap.close();
  });

  it('a lost lease: the commit throws StreamConflictError, onLost once, nothing more is published or stored', async () => {
    const { conversationId, store, tap, writer, lost } = await setup();
    await writer.commit([{ chunk: delta('ok'), runId: RUN }]);
    await pool.query('UPDATE run_leases SET fencing_token = 4 WHERE conversation_id = $1', [conversationId]);
    await writer.publish([{ chunk: delta('live-only'), runId: RUN }]);
    await expect(writer.commit([{ chunk: { type: 'finish' }, runId: RUN }])).rejects.toBeInstanceOf(StreamConflictError);
    expect(lost).toHaveLength(1);
    expect(writer.isLost).toBe(true);
    await writer.publish([{ chunk: delta('after'), runId: RUN }]);
    await expect(writer.commit([{ chunk: { type: 'finish' }, runId: RUN }])).rejects.toBeInstanceOf(StreamConflictError);
    expect(lost).toHaveLength(1);
    expect((await store.read(conversationId)).map((e) => e.seq)).toEqual([1]);
    // Live: the committed event and the live-only delta (published before the loss was known); never the finish.
    await waitFor(() => tap.events.length >= 2, { timeoutMs: 2_000 });
    expect(tap.events.map((e) => e.chunk.type)).toEqual(['text-delta', 'text-delta']);
    writer.close();
    tap.close();
  });

  it('too many unflushed events make publish wait for Postgres', async () => {
    const { conversationId, store } = await setup();
    const writer = new EventWriter(
      {
        store, live: new LivePublisher(nc), logger, conversationId, userId: 'x', fencingToken: 3n, drafts: new Map(),
        flushIntervalMs: 60_000, flushMaxEvents: 10_000, maxUnflushedEvents: 3,
        onLost: () => undefined, onEvent: () => undefined,
      },
      0,
    );
    for (let i = 0; i < 4; i++) await writer.publish([{ chunk: delta(`${i}`), runId: RUN }]);
    expect((await store.read(conversationId)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    writer.close();
  });
});

export type { ConversationEvent };
