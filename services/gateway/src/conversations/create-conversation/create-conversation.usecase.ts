import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { DomainError, type CreateConversationBody } from '@harness/contracts';
import type { ConversationModel as Conversation, Database } from '@harness/db';
import { EventStore } from '@harness/event-store';
import { DATABASE } from '../../core/tokens.js';
import { presentConversation, type ConversationResponse } from '../conversation.presenter.js';

export const DEFAULT_TITLE = 'New conversation';

/** The conversation row and its event stream are created in one transaction: a conversation always has a stream. */
@Injectable()
export class CreateConversation {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly store: EventStore,
  ) {}

  async execute(userId: string, body: z.infer<typeof CreateConversationBody>): Promise<ConversationResponse> {
    const harness = await this.db.prisma.harness.findFirst({ where: { id: body.harnessId, userId }, select: { id: true } });
    if (!harness) throw new DomainError('not_found', 'harness not found', { field: 'harnessId' });
    const id = randomUUID();
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query<{ created_at: Date; updated_at: Date }>(
        `INSERT INTO conversations (id, user_id, harness_id, title) VALUES ($1, $2, $3, $4) RETURNING created_at, updated_at`,
        [id, userId, harness.id, body.title ?? DEFAULT_TITLE],
      );
      await this.store.createStream(id, userId, client);
      await client.query('COMMIT');
      const row: Conversation = {
        id,
        userId,
        harnessId: harness.id,
        title: body.title ?? DEFAULT_TITLE,
        activeRunId: null,
        createdAt: r.rows[0].created_at,
        updatedAt: r.rows[0].updated_at,
        deletedAt: null,
      };
      return presentConversation(row, []);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
