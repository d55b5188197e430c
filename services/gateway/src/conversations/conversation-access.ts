import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@harness/contracts';
import type { ConversationModel as Conversation, Database, QueueItemViewModel as QueueItemView } from '@harness/db';
import { DATABASE } from '../core/tokens.js';

/** Reads conversations the way every use case must: only the user's own, never deleted ones; else 404. */
@Injectable()
export class ConversationAccess {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** On every conversation request, so plain SQL (a third of Prisma's per-query cost here), mapped to the model. */
  async getOwned(userId: string, id: string): Promise<Conversation> {
    const r = await this.db.pool.query<{ id: string; user_id: string; harness_id: string; title: string; active_run_id: string | null; created_at: Date; updated_at: Date; deleted_at: Date | null }>(
      'SELECT id, user_id, harness_id, title, active_run_id, created_at, updated_at, deleted_at FROM conversations WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL',
      [id, userId],
    );
    const c = r.rows[0];
    if (!c) throw new DomainError('not_found', 'conversation not found');
    return {
      id: c.id, userId: c.user_id, harnessId: c.harness_id, title: c.title, activeRunId: c.active_run_id,
      createdAt: c.created_at, updatedAt: c.updated_at, deletedAt: c.deleted_at,
    };
  }

  /** The queued messages of some conversations, in queue order, grouped by conversation. */
  async queues(userId: string, conversationIds: string[]): Promise<Map<string, QueueItemView[]>> {
    const rows = conversationIds.length
      ? await this.db.prisma.queueItemView.findMany({
          where: { userId, conversationId: { in: conversationIds } },
          orderBy: [{ conversationId: 'asc' }, { position: 'asc' }],
        })
      : [];
    const byConversation = new Map<string, QueueItemView[]>(conversationIds.map((id) => [id, []]));
    for (const r of rows) byConversation.get(r.conversationId)?.push(r);
    return byConversation;
  }

  async queue(userId: string, conversationId: string): Promise<QueueItemView[]> {
    return (await this.queues(userId, [conversationId])).get(conversationId) ?? [];
  }
}
