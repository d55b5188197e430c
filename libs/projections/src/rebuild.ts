import type pg from 'pg';
import type { ConversationEvent } from '@harness/contracts';
import { withTransaction } from '@harness/db';
import { eventFromRow, type StoredRow } from '@harness/event-store';
import { projectConversationEvents, type DraftCache } from './conversation-projection.js';

/**
 * Rebuilds every read model from the event store, from zero, in one transaction (readers see the old or the new state).
 * Returns how many events were replayed.
 */
export function rebuildProjections(pool: pg.Pool, pageSize = 5_000): Promise<number> {
  return withTransaction(pool, async (client) => {
    let count = 0;
    await client.query('TRUNCATE message_views, queue_item_views, usage_views');
    await client.query('UPDATE conversations SET active_run_id = NULL');
    const owners = new Map<string, string>();
    for (const row of (await client.query<{ stream_id: string; user_id: string }>('SELECT stream_id, user_id FROM streams')).rows) {
      owners.set(row.stream_id, row.user_id);
    }
    const drafts = new Map<string, DraftCache>();
    let after = '0';
    for (;;) {
      const r = await client.query<StoredRow & { global_position: string; stream_id: string }>(
        `SELECT global_position, stream_id, stream_position, data, metadata, created_at FROM events WHERE global_position > $1
         ORDER BY global_position LIMIT $2`,
        [after, pageSize],
      );
      // Consecutive events of one stream are projected together, in global order.
      let batch: ConversationEvent[] = [];
      const flush = async () => {
        if (!batch.length) return;
        const sid = batch[0].conversationId;
        if (!drafts.has(sid)) drafts.set(sid, new Map());
        await projectConversationEvents(client, owners.get(sid) ?? '', batch, drafts.get(sid) as DraftCache);
        batch = [];
      };
      for (const row of r.rows) {
        if (batch.length && batch[0].conversationId !== row.stream_id) await flush();
        batch.push(eventFromRow(row.stream_id, row));
        count++;
      }
      await flush();
      if (r.rows.length < pageSize) break;
      after = r.rows[r.rows.length - 1].global_position;
    }
    return count;
  });
}
