import type pg from 'pg';
import { withTransaction } from '@harness/db';
import { storableJson, UiChunk, type ConversationEvent } from '@harness/contracts';

/** An event the writer has already numbered (the live path publishes it before it is stored). */
export interface NewEvent {
  seq: number;
  chunk: UiChunk;
  runId: string | null;
  createdAt?: Date;
  metadata?: Record<string, unknown>;
}

export class StreamConflictError extends Error {
  constructor(readonly streamId: string, readonly expected: number) {
    super(`stream ${streamId} is not at version ${expected} (or the writer lost its lease)`);
    this.name = 'StreamConflictError';
  }
}

export class StreamNotFoundError extends Error {
  constructor(readonly streamId: string) {
    super(`stream ${streamId} does not exist`);
    this.name = 'StreamNotFoundError';
  }
}

export type Tx = pg.PoolClient;
export type InlineProjection = (tx: Tx, streamId: string, events: ConversationEvent[]) => Promise<void>;

/**
 * Emmett-style Postgres event store: a stream per conversation, `(stream_id, stream_position)` unique, appends with the
 * expected version, a global position. Events are append-only (a trigger refuses updates).
 */
export class EventStore {
  constructor(private readonly pool: pg.Pool) {}

  async createStream(streamId: string, userId: string, tx?: Tx): Promise<void> {
    await (tx ?? this.pool).query(
      'INSERT INTO streams (stream_id, stream_position, user_id) VALUES ($1, 0, $2) ON CONFLICT (stream_id) DO NOTHING',
      [streamId, userId],
    );
  }

  async version(streamId: string): Promise<number> {
    const r = await this.pool.query<{ stream_position: number }>('SELECT stream_position FROM streams WHERE stream_id = $1', [streamId]);
    if (!r.rowCount) throw new StreamNotFoundError(streamId);
    return r.rows[0].stream_position;
  }

  /**
   * Appends events whose seqs are strictly increasing and greater than `expectedVersion`, in one transaction with the
   * inline projections. With `fencingToken`, the append also requires the writer's run lease to still be current.
   */
  async append(
    streamId: string,
    expectedVersion: number,
    events: NewEvent[],
    opts: {
      fencingToken?: bigint;
      projection?: InlineProjection;
      /**
       * false: commit without waiting for the WAL flush (for deltas on the live path). A crash of Postgres can lose
       * such a commit, never corrupt anything; the next synchronous commit (a run's end) makes all earlier ones durable.
       */
      synchronousCommit?: boolean;
    } = {},
  ): Promise<ConversationEvent[]> {
    if (events.length === 0) return [];
    let prev = expectedVersion;
    for (const e of events) {
      if (!(e.seq > prev)) throw new Error(`event seqs must increase: ${e.seq} after ${prev}`);
      prev = e.seq;
    }
    const last = events[events.length - 1].seq;
    return withTransaction(
      this.pool,
      async (client) => {
        const moved = await client.query(
          `UPDATE streams SET stream_position = $3, updated_at = now()
           WHERE stream_id = $1 AND stream_position = $2
             AND ($4::bigint IS NULL OR EXISTS (
               SELECT 1 FROM run_leases WHERE conversation_id = $1::uuid AND fencing_token = $4::bigint))`,
          [streamId, expectedVersion, last, opts.fencingToken === undefined ? null : opts.fencingToken.toString()],
        );
        if (moved.rowCount !== 1) throw new StreamConflictError(streamId, expectedVersion);
        const stored = toStored(streamId, expectedVersion, events);
        await client.query(
          `INSERT INTO events (stream_id, stream_position, type, data, metadata, created_at)
           SELECT $1, u.pos, u.type, u.data, u.meta, u.at
           FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[]) AS u(pos, type, data, meta, at)`,
          [
            streamId,
            stored.map((e) => e.seq),
            stored.map((e) => e.chunk.type),
            stored.map((e) => storableJson(e.chunk)),
            stored.map((e, i) => JSON.stringify({ ...events[i].metadata, runId: e.runId, prev: e.prev })),
            stored.map((e) => e.createdAt),
          ],
        );
        if (opts.projection) await opts.projection(client, streamId, stored);
        return stored;
      },
      opts.synchronousCommit === false ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN',
    );
  }

  /** Events with seq > after, oldest first. */
  async read(streamId: string, opts: { after?: number; limit?: number; runId?: string } = {}): Promise<ConversationEvent[]> {
    const r = await this.pool.query<StoredRow>(
      `SELECT stream_position, data, metadata, created_at FROM events
       WHERE stream_id = $1 AND stream_position > $2 AND ($4::text IS NULL OR metadata->>'runId' = $4)
       ORDER BY stream_position LIMIT $3`,
      [streamId, opts.after ?? 0, opts.limit ?? 10_000, opts.runId ?? null],
    );
    return r.rows.map((row) => eventFromRow(streamId, row));
  }

  /** Seq of the `start` event of a run (the AI SDK stream of a run begins there). */
  async runStartSeq(streamId: string, runId: string): Promise<number | null> {
    const r = await this.pool.query<{ stream_position: number }>(
      `SELECT stream_position FROM events WHERE stream_id = $1 AND type = 'start' AND data->'messageMetadata'->>'runId' = $2
       ORDER BY stream_position LIMIT 1`,
      [streamId, runId],
    );
    return r.rowCount ? r.rows[0].stream_position : null;
  }

  /** Every stream's events in global order, in pages: for projection rebuilds and catch-up consumers. */
  async *readAll(opts: { afterGlobal?: bigint; pageSize?: number } = {}): AsyncGenerator<ConversationEvent & { globalPosition: bigint }> {
    let after = opts.afterGlobal ?? 0n;
    const pageSize = opts.pageSize ?? 5_000;
    for (;;) {
      const r = await this.pool.query<StoredRow & { global_position: string; stream_id: string }>(
        `SELECT global_position, stream_id, stream_position, data, metadata, created_at FROM events
         WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
        [after.toString(), pageSize],
      );
      for (const row of r.rows) yield { ...eventFromRow(row.stream_id, row), globalPosition: BigInt(row.global_position) };
      if (r.rows.length < pageSize) return;
      after = BigInt(r.rows[r.rows.length - 1].global_position);
    }
  }

  /**
   * One page of committed events of every stream after `after`, in (transaction id, global position) order, read only
   * below the snapshot's xmin horizon: every transaction there has finished, so nothing can later appear before the
   * last event returned. A follower that resumes from the last event it processed therefore misses nothing, even
   * though two transactions may commit in the other order than their positions. Deleted conversations' events are
   * simply gone.
   */
  async readCommitted(after: CommittedCursor | null, limit = 500): Promise<CommittedEvent[]> {
    const r = await this.pool.query<StoredRow & { global_position: string; stream_id: string; transaction_id: string; user_id: string }>(
      `SELECT e.global_position, e.transaction_id::text AS transaction_id, e.stream_id, e.stream_position, e.data, e.metadata,
              e.created_at, s.user_id
       FROM events e JOIN streams s ON s.stream_id = e.stream_id
       WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         AND ($1::xid8 IS NULL OR (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint))
       ORDER BY e.transaction_id, e.global_position
       LIMIT $3`,
      [after?.transactionId ?? null, (after?.globalPosition ?? 0n).toString(), limit],
    );
    return r.rows.map((row) => ({
      ...eventFromRow(row.stream_id, row),
      globalPosition: BigInt(row.global_position),
      transactionId: row.transaction_id,
      userId: row.user_id,
    }));
  }

  /**
   * The cursor of the event at a global position, for a consumer that resumes "after position P" (the last event it
   * received, in this order). An event no longer stored (its conversation was deleted) resumes from the oldest
   * transaction that stored anything above P instead, which may deliver some events again (delivery is at least once)
   * but never skips one.
   */
  async cursorAt(globalPosition: bigint): Promise<CommittedCursor | null> {
    if (globalPosition <= 0n) return null;
    const r = await this.pool.query<{ transaction_id: string }>(
      `SELECT transaction_id::text AS transaction_id FROM events WHERE global_position = $1`,
      [globalPosition.toString()],
    );
    if (r.rowCount) return { transactionId: r.rows[0].transaction_id, globalPosition };
    const oldest = await this.pool.query<{ transaction_id: string | null; horizon: string }>(
      `SELECT (SELECT min(transaction_id::text::numeric) FROM events WHERE global_position > $1)::text AS transaction_id,
              pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`,
      [globalPosition.toString()],
    );
    const from = oldest.rows[0].transaction_id ?? oldest.rows[0].horizon;
    // Everything of transaction `from` onwards: (from, 0) precedes all its events.
    return { transactionId: from, globalPosition: 0n };
  }
}

/**
 * Where a follower of the whole store stands: the last event it has, as (transaction id, global position). The order of
 * `readCommitted` is (transactionId, globalPosition), which is commit-safe; global positions alone are not (a sequence
 * value is taken before its transaction commits). `null`: from the start.
 */
export interface CommittedCursor {
  transactionId: string;
  globalPosition: bigint;
}

export type CommittedEvent = ConversationEvent & { globalPosition: bigint; transactionId: string; userId: string };

export interface StoredRow {
  stream_position: number;
  data: unknown;
  metadata: { runId?: string | null; prev?: number } | null;
  created_at: Date;
}


function toStored(streamId: string, expectedVersion: number, events: NewEvent[]): ConversationEvent[] {
  let prev = expectedVersion;
  return events.map((e) => {
    const stored: ConversationEvent = {
      conversationId: streamId,
      seq: e.seq,
      prev,
      runId: e.runId,
      chunk: e.chunk,
      createdAt: (e.createdAt ?? new Date()).toISOString(),
    };
    prev = e.seq;
    return stored;
  });
}

/** A stored row (stream_position, data, metadata, created_at) as a ConversationEvent. */
export function eventFromRow(streamId: string, row: StoredRow): ConversationEvent {
  return {
    conversationId: streamId,
    seq: row.stream_position,
    prev: row.metadata?.prev ?? row.stream_position - 1,
    runId: row.metadata?.runId ?? null,
    chunk: UiChunk.parse(row.data),
    createdAt: row.created_at.toISOString(),
  };
}
