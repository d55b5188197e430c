import { Inject, Injectable } from '@nestjs/common';
import type { VerifyApiKeyCommand, VerifyApiKeyResult } from '@harness/contracts';
import type { ApiKeysContext } from '../api-keys/context.js';
import { useKey } from '../api-keys/store.js';
import { API_KEYS_CONTEXT } from '../tokens.js';

/** `auth.cmd.api-key-verify`: the gateway sends the key's hash; unknown, revoked and expired keys are all `valid: false`. */
@Injectable()
export class VerifyApiKey {
  constructor(@Inject(API_KEYS_CONTEXT) private readonly ctx: ApiKeysContext) {}

  async execute(cmd: VerifyApiKeyCommand): Promise<VerifyApiKeyResult> {
    const key = await useKey(this.ctx.pool, cmd.keyHash, this.ctx.now());
    if (!key) return { valid: false };
    return { valid: true, userId: key.userId, keyId: key.id, expiresAt: key.expiresAt?.toISOString() ?? null };
  }
}
