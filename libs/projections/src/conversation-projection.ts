import type pg from 'pg';
import { storableJson, type ConversationEvent } from '@harness/contracts';
import { applyChunk, newDraft, replayDraft, type MessageDraft } from './message-draft.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Drafts of assistant messages by run id. The chat service passes its live one; rebuilds start empty. */
export type DraftCache = Map<string, MessageDraft>;

/**
 * Updates the read models (messages with parts, queue, usage, active run) from a batch of one conversation's events.
 * Runs inside the append transaction (inline projection) and in rebuilds; idempotent per event.
 */
export async function projectConversationEvents(
  tx: Queryable,
  userId: string,
  events: ConversationEvent[],
  drafts: DraftCache,
  opts: { deltaWriteIntervalMs?: number } = {},
): Promise<void> {
  const touched = new Set<MessageDraft>();
  // A batch of nothing but text/reasoning deltas rewrites the message at most every deltaWriteIntervalMs: rewriting
  // the whole parts array every 20 ms makes a long answer cost O(n^2) bytes. Any other event writes at once.
  const onlyDeltas = events.every((e) => e.chunk.type === 'text-delta' || e.chunk.type === 'reasoning-delta');
  // The conversation row is updated once per batch: last activity, and the active run as the batch leaves it.
  let lastActivity: string | null = null;
  let activeRun: { op: 'set' | 'clear' | 'none'; runId: string } | null = null;
  const insertedEmpty = new Set<MessageDraft>();
  for (const e of events) {
    const c = e.chunk;
    switch (c.type) {
      case 'data-message':
        await tx.query(
          `INSERT INTO message_views (id, conversation_id, user_id, run_id, role, status, parts, first_seq, created_at)
           VALUES ($1, $2, $3, $4, 'user', 'complete', $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
          [c.data.messageId, e.conversationId, userId, e.runId, storableJson(c.data.parts), e.seq, e.createdAt],
        );
        lastActivity = e.createdAt;
        break;
      case 'start': {
        const { runId, model, regenerates } = c.messageMetadata;
        if (regenerates) {
          await tx.query(
            `UPDATE message_views SET hidden = true WHERE conversation_id = $1 AND first_seq < $2
               AND first_seq >= (SELECT first_seq FROM message_views WHERE id = $3 AND conversation_id = $1)`,
            [e.conversationId, e.seq, regenerates],
          );
        }
        await tx.query(
          `INSERT INTO message_views (id, conversation_id, user_id, run_id, role, status, parts, model, first_seq, created_at)
           VALUES ($1, $2, $3, $4, 'assistant', 'streaming', '[]', $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
          [c.messageId, e.conversationId, userId, runId, model, e.seq, e.createdAt],
        );
        const d = newDraft(c.messageId, runId, model);
        drafts.set(runId, d);
        insertedEmpty.add(d);
        break;
      }
      case 'data-run':
        lastActivity = e.createdAt;
        if (c.data.status === 'started') activeRun = { op: 'set', runId: c.data.runId };
        else if (activeRun?.op === 'set' && activeRun.runId === c.data.runId) activeRun = { op: 'none', runId: c.data.runId };
        else activeRun = { op: 'clear', runId: c.data.runId };
        break;
      case 'data-queue':
        await tx.query('DELETE FROM queue_item_views WHERE conversation_id = $1', [e.conversationId]);
        if (c.data.items.length) {
          await tx.query(
            `INSERT INTO queue_item_views (id, conversation_id, user_id, content, position, created_at)
             SELECT u.id, $1, $2, u.content, u.pos, u.at FROM unnest($3::uuid[], $4::text[], $5::int[], $6::timestamptz[]) AS u(id, content, pos, at)`,
            [
              e.conversationId, userId,
              c.data.items.map((i) => i.id), c.data.items.map((i) => i.content), c.data.items.map((_, i) => i), c.data.items.map((i) => i.createdAt),
            ],
          );
        }
        break;
      case 'data-usage': {
        const { messageId, model, ...usage } = c.data;
        const d = e.runId ? await draftFor(tx, e, drafts) : null;
        if (d && d.messageId === messageId) {
          applyChunk(d, c, e.createdAt);
          touched.add(d);
        } else {
          await tx.query('UPDATE message_views SET usage = $2 WHERE id = $1', [messageId, storableJson(usage)]);
        }
        await tx.query(
          `INSERT INTO usage_views (message_id, conversation_id, user_id, model, prompt_tokens, completion_tokens, reasoning_tokens, total_tokens, cost, source, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (message_id) DO UPDATE SET prompt_tokens = EXCLUDED.prompt_tokens, completion_tokens = EXCLUDED.completion_tokens,
             reasoning_tokens = EXCLUDED.reasoning_tokens, total_tokens = EXCLUDED.total_tokens, cost = EXCLUDED.cost, source = EXCLUDED.source`,
          [
            messageId, e.conversationId, userId, model ?? d?.model ?? 'unknown', usage.promptTokens, usage.completionTokens,
            usage.reasoningTokens, usage.totalTokens, usage.cost, usage.source, e.createdAt,
          ],
        );
        break;
      }
      default: {
        if (!e.runId) break;
        const d = await draftFor(tx, e, drafts);
        if (!d) break;
        applyChunk(d, c, e.createdAt);
        touched.add(d);
      }
    }
  }
  if (lastActivity !== null || activeRun !== null) {
    await tx.query(
      `UPDATE conversations SET updated_at = GREATEST(updated_at, COALESCE($2::timestamptz, updated_at)),
         active_run_id = CASE WHEN $3::text = 'set' THEN $4::uuid WHEN $3::text = 'none' THEN NULL
           WHEN $3::text = 'clear' AND active_run_id = $4::uuid THEN NULL ELSE active_run_id END
       WHERE id = $1`,
      [events[0].conversationId, lastActivity, activeRun?.op ?? null, activeRun?.runId ?? null],
    );
  }
  for (const d of insertedEmpty) if (d.parts.length || d.status !== 'streaming' || d.usage) touched.add(d);
  for (const d of touched) {
    const now = Date.now();
    if (onlyDeltas && opts.deltaWriteIntervalMs && now - (d.writtenAt ?? 0) < opts.deltaWriteIntervalMs) continue;
    d.writtenAt = now;
    await tx.query('UPDATE message_views SET parts = $2, status = $3, usage = $4, error = $5 WHERE id = $1', [
      d.messageId, storableJson(d.parts), d.status, d.usage ? storableJson(d.usage) : null, d.error,
    ]);
  }
}

/** The draft of the event's run, rebuilt from the stored events of that run when this process has none. */
async function draftFor(tx: Queryable, e: ConversationEvent, drafts: DraftCache): Promise<MessageDraft | null> {
  const runId = e.runId as string;
  const cached = drafts.get(runId);
  if (cached) return cached;
  const r = await tx.query<{ stream_position: number; data: ConversationEvent['chunk']; created_at: Date }>(
    `SELECT stream_position, data, created_at FROM events WHERE stream_id = $1 AND metadata->>'runId' = $2 AND stream_position < $3
     ORDER BY stream_position`,
    [e.conversationId, runId, e.seq],
  );
  const d = replayDraft(
    r.rows.map((row) => ({ conversationId: e.conversationId, seq: row.stream_position, prev: 0, runId, chunk: row.data, createdAt: row.created_at.toISOString() })),
  );
  if (d) drafts.set(runId, d);
  return d;
}
