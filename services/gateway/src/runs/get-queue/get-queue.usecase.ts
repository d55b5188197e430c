import { Inject, Injectable } from '@nestjs/common';
import { decodePositionCursor, encodePositionCursor, type PageQuery } from '@harness/contracts';
import type { Database } from '@harness/db';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { presentQueueItem, type QueueItemResponse } from '../../conversations/conversation.presenter.js';
import { DATABASE } from '../../core/tokens.js';

/** The queued messages, in order, from the queue projection; keyset-paginated on (position, id). */
@Injectable()
export class GetQueue {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: ConversationAccess,
  ) {}

  async execute(userId: string, conversationId: string, query: PageQuery): Promise<{ items: QueueItemResponse[]; nextCursor: string | null }> {
    const after = query.cursor ? decodePositionCursor(query.cursor) : undefined;
    await this.access.getOwned(userId, conversationId);
    const rows = await this.db.prisma.queueItemView.findMany({
      where: {
        userId,
        conversationId,
        ...(after ? { OR: [{ position: { gt: after.position } }, { position: after.position, id: { gt: after.id } }] } : {}),
      },
      orderBy: [{ position: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map(presentQueueItem), nextCursor: rows.length > query.limit && last ? encodePositionCursor(last.position, last.id) : null };
  }
}
