import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type RevokeApiKeyCommand, type RevokeApiKeyResult } from '@harness/contracts';
import type { ApiKeysContext } from '../api-keys/context.js';
import { deleteKey } from '../api-keys/store.js';
import { API_KEYS_CONTEXT } from '../tokens.js';

/** `auth.cmd.api-key-revoke`: deletes one of the user's keys (another user's id is not found, like an unknown one). */
@Injectable()
export class RevokeApiKey {
  constructor(@Inject(API_KEYS_CONTEXT) private readonly ctx: ApiKeysContext) {}

  async execute(cmd: RevokeApiKeyCommand): Promise<RevokeApiKeyResult> {
    const keyHash = await deleteKey(this.ctx.pool, cmd.userId, cmd.id);
    if (!keyHash) throw new DomainError('not_found', 'no such API key');
    this.ctx.logger.info({ userId: cmd.userId, keyId: cmd.id }, 'api key revoked');
    return { keyHash };
  }
}
