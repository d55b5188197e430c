import { Inject, Injectable } from '@nestjs/common';
import { decodeSeqCursor, encodeSeqCursor, type PageQuery } from '@harness/contracts';
import type { Database, MessageViewModel as MessageView } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';
import { ConversationAccess } from '../conversation-access.js';

export const presentMessage = (m: MessageView) => ({
  id: m.id,
  role: m.role,
  status: m.status,
  parts: m.parts,
  ...(m.model === null ? {} : { model: m.model }),
  ...(m.usage === null ? {} : { usage: m.usage }),
  ...(m.error === null ? {} : { error: m.error }),
  createdAt: m.createdAt.toISOString(),
});

/** The conversation's visible messages, oldest first, from the message projection; keyset-paginated on first_seq. */
@Injectable()
export class ListMessages {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: ConversationAccess,
  ) {}

  async execute(userId: string, conversationId: string, query: PageQuery) {
    const after = query.cursor ? decodeSeqCursor(query.cursor) : undefined;
    await this.access.getOwned(userId, conversationId);
    const rows = await this.db.prisma.messageView.findMany({
      where: { conversationId, userId, hidden: false, ...(after === undefined ? {} : { firstSeq: { gt: after } }) },
      orderBy: { firstSeq: 'asc' },
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map(presentMessage), nextCursor: rows.length > query.limit && last ? encodeSeqCursor(last.firstSeq) : null };
  }
}
