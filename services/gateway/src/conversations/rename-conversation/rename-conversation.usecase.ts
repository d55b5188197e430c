import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type RenameConversationBody } from '@harness/contracts';
import type { Database } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';
import { ConversationAccess } from '../conversation-access.js';
import { presentConversation, type ConversationResponse } from '../conversation.presenter.js';

/**
 * The title lives on the conversation's row, which the gateway writes (create sets it; no event carries it, and a
 * projection rebuild keeps the rows), so a rename is one guarded UPDATE here: the user's own, live conversation only.
 */
@Injectable()
export class RenameConversation {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: ConversationAccess,
  ) {}

  async execute(userId: string, id: string, body: RenameConversationBody): Promise<ConversationResponse> {
    const r = await this.db.pool.query<{ id: string; harness_id: string; title: string; active_run_id: string | null; created_at: Date; updated_at: Date }>(
      `UPDATE conversations SET title = $3, updated_at = GREATEST(updated_at, now())
       WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL
       RETURNING id, harness_id, title, active_run_id, created_at, updated_at`,
      [id, userId, body.title],
    );
    const c = r.rows[0];
    if (!c) throw new DomainError('not_found', 'conversation not found');
    const conversation = {
      id: c.id, userId, harnessId: c.harness_id, title: c.title, activeRunId: c.active_run_id,
      createdAt: c.created_at, updatedAt: c.updated_at, deletedAt: null,
    };
    return presentConversation(conversation, await this.access.queue(userId, c.id));
  }
}
