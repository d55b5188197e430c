import { Inject, Injectable } from '@nestjs/common';
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

/** The conversation's visible messages, oldest first, from the message projection. */
@Injectable()
export class ListMessages {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: ConversationAccess,
  ) {}

  async execute(userId: string, conversationId: string) {
    await this.access.getOwned(userId, conversationId);
    const rows = await this.db.prisma.messageView.findMany({ where: { conversationId, userId, hidden: false }, orderBy: { firstSeq: 'asc' } });
    return { items: rows.map(presentMessage) };
  }
}
