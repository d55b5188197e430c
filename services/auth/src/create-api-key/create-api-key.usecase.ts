import { Inject, Injectable } from '@nestjs/common';
import { apiKeyDisplayPrefix, DomainError, generateApiKey, hashApiKey, type CreateApiKeyCommand, type CreateApiKeyResult } from '@harness/contracts';
import type { ApiKeysContext } from '../api-keys/context.js';
import { insertKey } from '../api-keys/store.js';
import { API_KEYS_CONTEXT } from '../tokens.js';

/** `auth.cmd.api-key-create`: a new key for the user; the key itself is in this answer only (stored as its SHA-256). */
@Injectable()
export class CreateApiKey {
  constructor(@Inject(API_KEYS_CONTEXT) private readonly ctx: ApiKeysContext) {}

  async execute(cmd: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    const now = this.ctx.now();
    const expiresAt = cmd.expiresAt === undefined ? null : new Date(cmd.expiresAt);
    if (expiresAt && expiresAt.getTime() <= now.getTime()) {
      throw new DomainError('validation_failed', 'expiresAt: must be in the future', { issues: [{ path: 'expiresAt', message: 'must be in the future' }] });
    }
    const key = generateApiKey();
    const row = await insertKey(this.ctx.pool, { userId: cmd.userId, name: cmd.name, keyHash: hashApiKey(key), prefix: apiKeyDisplayPrefix(key), expiresAt, now }, this.ctx.settings);
    this.ctx.logger.info({ userId: cmd.userId, keyId: row.id }, 'api key created');
    return { id: row.id, name: row.name, key, createdAt: row.created_at.toISOString(), expiresAt: row.expires_at?.toISOString() ?? null };
  }
}
