import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { Config } from '@harness/config';
import { DomainError, type CreateConversationBody } from '@harness/contracts';
import type { ConversationModel as Conversation, Database } from '@harness/db';
import { EventStore } from '@harness/event-store';
import { CONFIG, DATABASE } from '../../core/tokens.js';
import { assertBelowCap, CAP_LOCK_SQL, capLockKey } from '../../limits/user-caps.js';
import { presentConversation, type ConversationResponse } from '../conversation.presenter.js';

export const DEFAULT_TITLE = 'New conversation';

/**
 * The conversation row and its event stream are created in one transaction: a conversation always has a stream. The
 * user's live conversations are counted in it, under the user's cap lock (HARNESS_MAX_CONVERSATIONS_PER_USER).
 */
@Injectable()
export class CreateConversation {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async execute(userId: string, body: z.infer<typeof CreateConversationBody>): Promise<ConversationResponse> {
    const harness = await this.db.prisma.harness.findFirst({ where: { id: body.harnessId, userId }, select: { id: true } });
    if (!harness) throw new DomainError('not_found', 'harness not found', { field: 'harnessId' });
    const id = randomUUID();
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(CAP_LOCK_SQL, [capLockKey('conversations', userId)]);
      const live = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE user_id = $1 AND deleted_at IS NULL', [userId]);
      assertBelowCap('conversations', live.rows[0].n, this.config.limits.maxConversationsPerUser);
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
