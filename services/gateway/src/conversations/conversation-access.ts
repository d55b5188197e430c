import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@harness/contracts';
import type { ConversationModel as Conversation, Database, QueueItemViewModel as QueueItemView } from '@harness/db';
import { DATABASE } from '../core/tokens.js';

/** Reads conversations the way every use case must: only the user's own, never deleted ones; else 404. */
@Injectable()
export class ConversationAccess {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async getOwned(userId: string, id: string): Promise<Conversation> {
    const c = await this.db.prisma.conversation.findFirst({ where: { id, userId, deletedAt: null } });
    if (!c) throw new DomainError('not_found', 'conversation not found');
    return c;
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
