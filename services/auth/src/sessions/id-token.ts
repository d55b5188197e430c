import { decryptSecret, SecretDecryptionError } from '@harness/crypto';
import type { SessionsContext } from './context.js';
import { newestIdTokenEnc } from './store.js';

/**
 * The ID token the user's login provider `providerId` issued at their newest live sign-in there (a session within both
 * expiries that kept one), decrypted; null when there is none. Internal to the auth service (no NATS command): for
 * Cross-App Access, which exchanges it at that provider. The token's own `exp` is the caller's to check.
 */
export async function sessionIdToken(ctx: SessionsContext, userId: string, providerId: string): Promise<string | null> {
  const row = await newestIdTokenEnc(ctx.pool, userId, providerId, ctx.now());
  if (!row) return null;
  try {
    return decryptSecret(row.idTokenEnc, ctx.keyring);
  } catch (err) {
    if (!(err instanceof SecretDecryptionError)) throw err;
    // The key that encrypted it is gone from the keyring: as if there were none (the caller falls back; a new sign-in stores a readable one).
    ctx.logger.error({ userId, providerId, sessionId: row.sessionId, reason: err.message }, 'a stored ID token cannot be decrypted');
    return null;
  }
}
