import { Inject, Injectable } from '@nestjs/common';
import { DomainError, hashApiKey, isApiKey } from '@harness/contracts';
import { AuthCommands } from '../mcp-oauth/auth-commands.js';
import { ApiKeyCommand, VERIFY_TIMEOUT_MS } from './api-key-commands.js';
import { VerificationCache } from './verification-cache.js';

/** How long a positive verification is trusted on this replica (a revocation elsewhere takes effect within it). */
export const VERIFICATION_TTL_MS = 30_000;
export const VERIFICATION_CACHE_ENTRIES = 5_000;

/**
 * `Authorization: Bearer hk_…`: the key's user, asked of the auth service (one NATS request, the key's hash only)
 * unless a recent answer is cached. Unknown, revoked, expired or malformed keys are 401; the auth service not
 * answering is 503.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly cache = new VerificationCache(VERIFICATION_CACHE_ENTRIES, VERIFICATION_TTL_MS);

  constructor(@Inject(AuthCommands) private readonly auth: AuthCommands) {}

  /** `beforeRemote`: runs just before the auth service is asked (not for a cached key), and may refuse. */
  async userOf(key: string, beforeRemote?: () => Promise<void>): Promise<string> {
    if (!isApiKey(key)) throw new DomainError('unauthorized', 'the API key is not valid');
    const keyHash = hashApiKey(key);
    const cached = this.cache.get(keyHash);
    if (cached) return cached.userId;
    await beforeRemote?.();
    const answer = await this.auth.send(ApiKeyCommand.verify, { keyHash }, VERIFY_TIMEOUT_MS);
    if (!answer.valid) throw new DomainError('unauthorized', 'the API key is not valid (unknown, revoked or expired)');
    this.cache.set(keyHash, { userId: answer.userId, keyId: answer.keyId }, answer.expiresAt ? new Date(answer.expiresAt) : null);
    return answer.userId;
  }

  /** A key revoked through this replica stops working here at once. */
  forget(keyHash: string): void {
    this.cache.delete(keyHash);
  }
}
