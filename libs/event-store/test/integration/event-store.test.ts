import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { UiChunk } from '@harness/contracts';
import { EventStore, StreamConflictError, StreamNotFoundError, type NewEvent } from '@harness/event-store';
import { createTestDatabase, type TestDatabase } from '@harness/testing';

// The Emmett-style event store against a real Postgres: expected versions, fencing tokens, append-only events.

let db: TestDatabase;
let pool: pg.Pool;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('event_store');
  pool = new pg.Pool({ connectionString: db.url, max: 10 });
  pool.on('error', () => undefined); // idle connections are terminated when the database is dropped
  store = new EventStore(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const text = (delta: string): UiChunk => ({ type: 'text-delta', id: 't1', delta });
const ev = (seq: number, chunk: UiChunk = text(`#${seq}`), runId: string | null = 'run-1'): NewEvent => ({ seq, chunk, runId });
const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function newStream(userId = 'alice'): Promise<string> {
  const id = randomUUID();
  await store.createStream(id, userId);
  return id;
}

async function rowCount(streamId: string): Promise<number> {
  const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE stream_id = $1', [streamId]);
  return Number(r.rows[0].n);
}

describe('append with expected version', () => {
  it('appends, moves the version, and returns the stored events with prev', async () => {
    const id = await newStream();
    expect(await store.version(id)).toBe(0);
    const stored = await store.append(id, 0, [ev(1), ev(2), ev(3)]);
    expect(stored.map((e) => [e.seq, e.prev])).toEqual([[1, 0], [2, 1], [3, 2]]);
    expect(stored[0]).toMatchObject({ conversationId: id, runId: 'run-1', chunk: text('#1') });
    expect(await store.version(id)).toBe(3);
    await store.append(id, 3, [ev(4, { type: 'data-queue', data: { items: [] }, transient: true }, null)]);
    expect(await store.version(id)).toBe(4);
    const read = await store.read(id);
    expect(read.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(read[3]).toMatchObject({ seq: 4, prev: 3, runId: null, chunk: { type: 'data-queue' } });
    const types = await pool.query('SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_position', [id]);
    expect(types.rows.map((r) => r.type)).toEqual(['text-delta', 'text-delta', 'text-delta', 'data-queue']);
  });

  it('stores a NUL character (which jsonb refuses) as U+FFFD, and leaves an escaped backslash-u0000 text alone', async () => {
    const id = await newStream();
    const output = { type: 'tool-output-available', toolCallId: 'c1', output: { text: 'a\u0000b', literal: 'x\\u0000y' } } as UiChunk;
    await store.append(id, 0, [ev(1, output)]);
    const [read] = await store.read(id);
    expect(read.chunk).toEqual({ ...output, output: { text: 'a\ufffdb', literal: 'x\\u0000y' } });
  });

  it('an empty batch is a no-op', async () => {
    const id = await newStream();
    expect(await store.append(id, 0, [])).toEqual([]);
    expect(await store.version(id)).toBe(0);
  });

  it('a stale expected version → StreamConflictError and nothing written', async () => {
    const id = await newStream();
    await store.append(id, 0, [ev(1), ev(2)]);
    await expect(store.append(id, 1, [ev(2), ev(3)])).rejects.toBeInstanceOf(StreamConflictError);
    await expect(store.append(id, 0, [ev(3)])).rejects.toThrow(/is not at version 0/);
    expect(await store.version(id)).toBe(2);
    expect(await rowCount(id)).toBe(2);
    expect((await store.read(id)).map((e) => e.chunk)).toEqual([text('#1'), text('#2')]);
  });

  it('an expected version AHEAD of the stream is a conflict too', async () => {
    const id = await newStream();
    await expect(store.append(id, 5, [ev(6)])).rejects.toBeInstanceOf(StreamConflictError);
    expect(await rowCount(id)).toBe(0);
  });

  it('a stream that does not exist: append conflicts, version throws StreamNotFoundError', async () => {
    const id = randomUUID();
    await expect(store.append(id, 0, [ev(1)])).rejects.toBeInstanceOf(StreamConflictError);
    await expect(store.version(id)).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('refuses seqs that do not increase past the expected version (before touching the database)', async () => {
    const id = await newStream();
    await expect(store.append(id, 0, [ev(0)])).rejects.toThrow(/seqs must increase/);
    await expect(store.append(id, 0, [ev(2), ev(2)])).rejects.toThrow(/seqs must increase/);
    await expect(store.append(id, 0, [ev(3), ev(1)])).rejects.toThrow(/seqs must increase/);
    expect(await rowCount(id)).toBe(0);
  });

  it('a failing inline projection rolls back the append', async () => {
    const id = await newStream();
    await expect(
      store.append(id, 0, [ev(1)], {
        projection: async (tx) => {
          await tx.query('SELECT 1');
          throw new Error('projection failed');
        },
      }),
    ).rejects.toThrow('projection failed');
    expect(await store.version(id)).toBe(0);
    expect(await rowCount(id)).toBe(0);
  });

  it('the database connection dying mid-append rejects the append and does not crash the process', async () => {
    const id = await newStream();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await expect(
        store.append(id, 0, [ev(1)], {
          projection: async (tx) => {
            const pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
            const ended = new Promise((resolve) => (tx as pg.PoolClient).once('end', resolve));
            await admin.query('SELECT pg_terminate_backend($1)', [pid]);
            // The socket closes while no query runs: pg emits 'error' on the checked-out client.
            await ended;
          },
        }),
      ).rejects.toThrow(/connection|terminat/i);
    } finally {
      await admin.end();
    }
    // Nothing was committed, and the pool hands out a live connection next.
    expect(await rowCount(id)).toBe(0);
    await store.append(id, 0, [ev(1)]);
    expect(await store.version(id)).toBe(1);
  });

  it('the inline projection runs in the same transaction and sees the stored events', async () => {
    const id = await newStream();
    let seen: number[] = [];
    let visibleInTx = -1;
    await store.append(id, 0, [ev(1), ev(2)], {
      projection: async (tx, sid, events) => {
        seen = events.map((e) => e.seq);
        visibleInTx = Number((await tx.query('SELECT count(*) AS n FROM events WHERE stream_id = $1', [sid])).rows[0].n);
      },
    });
    expect(seen).toEqual([1, 2]);
    expect(visibleInTx).toBe(2);
  });
});

describe('concurrent appends', () => {
  it('two clients with the same expected version: exactly one wins, the other conflicts, nothing interleaves', async () => {
    for (let round = 0; round < 10; round++) {
      const id = await newStream();
      await store.append(id, 0, [ev(1)]);
      // Two pools = two independent clients (as two replicas would be).
      const other = new pg.Pool({ connectionString: db.url, max: 2 });
      other.on('error', () => undefined);
      try {
        const storeB = new EventStore(other);
        const results = await Promise.allSettled([
          store.append(id, 1, seqs(2, 6).map((s) => ev(s, text(`A${s}`)))),
          storeB.append(id, 1, seqs(2, 4).map((s) => ev(s, text(`B${s}`)))),
        ]);
        const ok = results.filter((r) => r.status === 'fulfilled');
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(ok).toHaveLength(1);
        expect(failed).toHaveLength(1);
        expect(failed[0].reason).toBeInstanceOf(StreamConflictError);
        const winner = results[0].status === 'fulfilled' ? 'A' : 'B';
        const stored = await store.read(id);
        const last = winner === 'A' ? 6 : 4;
        expect(stored.map((e) => e.seq)).toEqual(seqs(1, last));
        expect(stored.slice(1).every((e) => (e.chunk as { delta: string }).delta.startsWith(winner))).toBe(true);
        expect(await store.version(id)).toBe(last);
      } finally {
        await other.end();
      }
    }
  });

  it('many writers racing on one stream: each version is won once, the stream stays contiguous', async () => {
    const id = await newStream();
    let version = 0;
    let conflicts = 0;
    const writer = async (name: string) => {
      for (let i = 0; i < 15; i++) {
        const expected = version;
        try {
          await store.append(id, expected, [ev(expected + 1, text(name))]);
          version = Math.max(version, expected + 1);
        } catch (err) {
          if (!(err instanceof StreamConflictError)) throw err;
          conflicts++;
          version = await store.version(id);
        }
      }
    };
    await Promise.all(['w1', 'w2', 'w3', 'w4'].map(writer));
    const stored = await store.read(id);
    expect(stored.map((e) => e.seq)).toEqual(seqs(1, stored.length));
    expect(stored.length + conflicts).toBe(60);
    expect(await store.version(id)).toBe(stored.length);
  });
});

describe('fencing token', () => {
  it('appends only while the writer holds the current lease token', async () => {
    const id = await newStream();
    await pool.query("INSERT INTO run_leases (conversation_id, owner, fencing_token, expires_at) VALUES ($1, 'replica-a', 7, now() + interval '1 minute')", [id]);
    await store.append(id, 0, [ev(1)], { fencingToken: 7n });
    // Another replica takes the lease over: the token moves on.
    await pool.query("UPDATE run_leases SET owner = 'replica-b', fencing_token = fencing_token + 1 WHERE conversation_id = $1", [id]);
    await expect(store.append(id, 1, [ev(2)], { fencingToken: 7n })).rejects.toBeInstanceOf(StreamConflictError);
    expect(await store.version(id)).toBe(1);
    expect(await rowCount(id)).toBe(1);
    // The new holder can write; appends without a token are not fenced.
    await store.append(id, 1, [ev(2)], { fencingToken: 8n });
    await store.append(id, 2, [ev(3)]);
    expect(await store.version(id)).toBe(3);
  });

  it('no lease row at all → a fenced append conflicts', async () => {
    const id = await newStream();
    await expect(store.append(id, 0, [ev(1)], { fencingToken: 1n })).rejects.toBeInstanceOf(StreamConflictError);
    expect(await rowCount(id)).toBe(0);
  });

  it('after a takeover the old holder can write neither with its token nor at its old version', async () => {
    const id = await newStream();
    await pool.query("INSERT INTO run_leases (conversation_id, owner, fencing_token, expires_at) VALUES ($1, 'a', 1, now() + interval '1 minute')", [id]);
    await store.append(id, 0, [ev(1)], { fencingToken: 1n });
    await pool.query("UPDATE run_leases SET owner = 'b', fencing_token = 2 WHERE conversation_id = $1", [id]);
    await store.append(id, 1, [ev(50, { type: 'error', errorText: 'taken over' })], { fencingToken: 2n });
    const results = await Promise.allSettled([
      store.append(id, 1, [ev(2)], { fencingToken: 1n }),
      store.append(id, 50, [ev(51)], { fencingToken: 1n }),
      store.append(id, 1, [ev(2)], { fencingToken: 2n }),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'ok'))).toEqual(['StreamConflictError', 'StreamConflictError', 'StreamConflictError']);
    expect((await store.read(id)).map((e) => e.seq)).toEqual([1, 50]);
  });
});

describe('append-only', () => {
  it('events cannot be UPDATEd (trigger)', async () => {
    const id = await newStream();
    await store.append(id, 0, [ev(1)]);
    await expect(pool.query(`UPDATE events SET data = '{"type":"text-delta","id":"t1","delta":"forged"}' WHERE stream_id = $1`, [id])).rejects.toThrow(
      /events are append-only/,
    );
    await expect(pool.query('UPDATE events SET stream_position = 99 WHERE stream_id = $1', [id])).rejects.toThrow(/append-only/);
    expect((await store.read(id))[0].chunk).toEqual(text('#1'));
  });

  it('(stream_id, stream_position) is unique even for a writer that bypasses the version check', async () => {
    const id = await newStream();
    await store.append(id, 0, [ev(1)]);
    await expect(pool.query("INSERT INTO events (stream_id, stream_position, type, data) VALUES ($1, 1, 'x', '{}')", [id])).rejects.toThrow(/unique|duplicate/i);
  });
});

describe('read', () => {
  let id: string;
  beforeAll(async () => {
    id = await newStream();
    await store.append(id, 0, [ev(1, text('a'), 'run-1'), ev(2, text('b'), 'run-1'), ev(3, { type: 'data-queue', data: { items: [] } }, null)]);
    await store.append(id, 3, [
      ev(4, { type: 'start', messageId: 'm2', messageMetadata: { runId: 'run-2', model: 'sim/echo' } }, 'run-2'),
      ev(5, text('c'), 'run-2'),
      ev(6, text('d'), 'run-2'),
    ]);
  });

  it('after and limit', async () => {
    expect((await store.read(id)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await store.read(id, { after: 2 })).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect((await store.read(id, { after: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    expect(await store.read(id, { after: 6 })).toEqual([]);
  });

  it('by run', async () => {
    expect((await store.read(id, { runId: 'run-1' })).map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.read(id, { runId: 'run-2', after: 4 })).map((e) => e.seq)).toEqual([5, 6]);
    expect(await store.read(id, { runId: 'run-404' })).toEqual([]);
  });

  it('runStartSeq finds the start of a run', async () => {
    expect(await store.runStartSeq(id, 'run-2')).toBe(4);
    expect(await store.runStartSeq(id, 'run-1')).toBeNull();
  });

  it('createdAt round-trips at millisecond precision', async () => {
    const sid = await newStream();
    const at = new Date('2026-11-27T10:11:12.345Z');
    await store.append(sid, 0, [{ ...ev(1), createdAt: at }]);
    expect((await store.read(sid))[0].createdAt).toBe('2026-11-27T10:11:12.345Z');
  });
});

describe('seq jumps', () => {
  it('accepts a jump (5 then 1007), stores prev, and reads it back', async () => {
    const id = await newStream();
    await store.append(id, 0, seqs(1, 5).map((s) => ev(s)));
    const stored = await store.append(id, 5, [ev(1007, { type: 'error', errorText: 'taken over' }), ev(1008, text('after'))]);
    expect(stored.map((e) => [e.seq, e.prev])).toEqual([[1007, 5], [1008, 1007]]);
    expect(await store.version(id)).toBe(1008);
    const read = await store.read(id, { after: 4 });
    expect(read.map((e) => [e.seq, e.prev])).toEqual([[5, 4], [1007, 5], [1008, 1007]]);
    const meta = await pool.query('SELECT metadata FROM events WHERE stream_id = $1 AND stream_position = 1007', [id]);
    expect(meta.rows[0].metadata).toEqual({ runId: 'run-1', prev: 5 });
    // The jumped-over seqs can never be written afterwards.
    await expect(store.append(id, 5, [ev(6)])).rejects.toBeInstanceOf(StreamConflictError);
  });

  it('a jump inside one batch stores each prev', async () => {
    const id = await newStream();
    const stored = await store.append(id, 0, [ev(1), ev(3), ev(10)]);
    expect(stored.map((e) => e.prev)).toEqual([0, 1, 3]);
    expect((await store.read(id)).map((e) => e.prev)).toEqual([0, 1, 3]);
  });
});

describe('readAll', () => {
  it('yields every stream in global (append) order, across pages and from a position', async () => {
    const a = await newStream();
    const b = await newStream();
    const before = await pool.query<{ g: string | null }>('SELECT max(global_position)::text AS g FROM events');
    const start = BigInt(before.rows[0].g ?? '0');
    await store.append(a, 0, [ev(1, text('a1')), ev(2, text('a2'))]);
    await store.append(b, 0, [ev(1, text('b1'))]);
    await store.append(a, 2, [ev(3, text('a3'))]);
    await store.append(b, 1, [ev(2, text('b2')), ev(3, text('b3'))]);
    const all = [];
    for await (const e of store.readAll({ afterGlobal: start, pageSize: 2 })) all.push(e);
    expect(all.map((e) => (e.chunk as { delta: string }).delta)).toEqual(['a1', 'a2', 'b1', 'a3', 'b2', 'b3']);
    expect(all.map((e) => e.conversationId)).toEqual([a, a, b, a, b, b]);
    const positions = all.map((e) => e.globalPosition);
    expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    // Resuming after the 3rd event yields the rest.
    const rest = [];
    for await (const e of store.readAll({ afterGlobal: positions[2], pageSize: 100 })) rest.push(e.globalPosition);
    expect(rest).toEqual(positions.slice(3));
  });
});

describe('readCommitted: following the whole store', () => {
  // Everything this describe block appends, in the order a follower sees it.
  async function followFrom(after: Awaited<ReturnType<EventStore['cursorAt']>>, streams: string[]) {
    const seen: Array<{ stream: string; seq: number; position: bigint }> = [];
    let cursor = after;
    for (;;) {
      const page = await store.readCommitted(cursor, 2);
      if (page.length === 0) return { seen: seen.filter((e) => streams.includes(e.stream)), cursor };
      for (const e of page) seen.push({ stream: e.conversationId, seq: e.seq, position: e.globalPosition });
      const last = page[page.length - 1];
      cursor = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    }
  }

  it('never passes an event whose transaction is still open, though a later position committed first', async () => {
    const [a, b] = [await newStream('alice'), await newStream('bob')];
    const { cursor: start } = await followFrom(null, []);

    // Transaction A takes a global position and stays open; B appends after it (a higher position) and commits.
    const open = await pool.connect();
    try {
      await open.query('BEGIN');
      await open.query(`UPDATE streams SET stream_position = 1 WHERE stream_id = $1`, [a]);
      await open.query(`INSERT INTO events (stream_id, stream_position, type, data) VALUES ($1, 1, 'text-delta', '{"type":"text-delta","id":"t1","delta":"a"}')`, [a]);
      await store.append(b, 0, [ev(1), ev(2)]);

      // B is committed, but A's position is below it: a follower must not move past A yet.
      const whileOpen = await followFrom(start, [a, b]);
      expect(whileOpen.seen).toEqual([]);
      await open.query('COMMIT');
    } finally {
      open.release();
    }

    const after = await followFrom(start, [a, b]);
    expect(after.seen.map((e) => `${e.stream === a ? 'a' : 'b'}${e.seq}`)).toEqual(['a1', 'b1', 'b2']);
    const positions = after.seen.map((e) => e.position);
    expect(positions[0] < positions[1]).toBe(true);

    // A follower resuming after its last event gets only what is new.
    await store.append(a, 1, [ev(2)]);
    const next = await followFrom(after.cursor, [a, b]);
    expect(next.seen.map((e) => `${e.stream === a ? 'a' : 'b'}${e.seq}`)).toEqual(['a2']);
  });

  it('carries the stream owner and resumes after a global position', async () => {
    const s = await newStream('carol');
    const stored = await store.append(s, 0, [ev(1), ev(2), ev(3)]);
    expect(stored).toHaveLength(3);
    const all = await store.readCommitted(null, 100_000);
    const mine = all.filter((e) => e.conversationId === s);
    expect(mine.map((e) => [e.seq, e.userId])).toEqual([[1, 'carol'], [2, 'carol'], [3, 'carol']]);

    const cursor = await store.cursorAt(mine[0].globalPosition);
    const rest = (await store.readCommitted(cursor, 100_000)).filter((e) => e.conversationId === s);
    expect(rest.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('resumes after a deleted event from the next stored transaction, skipping nothing', async () => {
    const gone = await newStream('dave');
    const kept = await newStream('dave');
    const [deleted] = await store.append(gone, 0, [ev(1)]);
    await store.append(kept, 0, [ev(1)]);
    const deletedPosition = (await store.readCommitted(null, 100_000)).find((e) => e.conversationId === gone)!.globalPosition;
    expect(deleted.seq).toBe(1);
    await pool.query('DELETE FROM events WHERE stream_id = $1', [gone]);

    const cursor = await store.cursorAt(deletedPosition);
    const rest = (await store.readCommitted(cursor, 100_000)).filter((e) => e.conversationId === kept);
    expect(rest.map((e) => e.seq)).toEqual([1]);
  });
});
