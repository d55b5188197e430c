import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { decodeCursor, encodeCursor, type PaginationQuery } from '@harness/contracts';
import type { Database } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';
import { ConversationAccess } from '../conversation-access.js';
import { presentConversation, type ConversationResponse } from '../conversation.presenter.js';

/** Newest first, keyset-paginated on (createdAt, id). */
@Injectable()
export class ListConversations {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: ConversationAccess,
  ) {}

  async execute(userId: string, query: z.output<typeof PaginationQuery>): Promise<{ items: ConversationResponse[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.db.prisma.conversation.findMany({
      where: {
        userId,
        deletedAt: null,
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const queues = await this.access.queues(userId, page.map((c) => c.id));
    const last = page[page.length - 1];
    return {
      items: page.map((c) => presentConversation(c, queues.get(c.id) ?? [])),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }
}
