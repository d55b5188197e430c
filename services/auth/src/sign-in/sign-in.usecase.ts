import { Inject, Injectable } from '@nestjs/common';
import { generateSessionToken, hashSessionToken, type SignInCommand, type SignInResult } from '@harness/contracts';
import { encryptSecret } from '@harness/crypto';
import { withTransaction } from '@harness/db';
import type { SessionsContext } from '../sessions/context.js';
import { openSession, presentUser, upsertIdentity } from '../sessions/store.js';
import { SESSIONS_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.sign-in`, sent by the gateway after a provider's callback verified the person: the identity's user (created
 * on its first sign-in) and a new session. The session token is in this answer only (stored as its SHA-256); the ID
 * token is stored encrypted like the OAuth tokens. Identity, user and session are written in one transaction.
 */
@Injectable()
export class SignIn {
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  async execute(cmd: SignInCommand): Promise<SignInResult> {
    const { pool, settings, keyring } = this.ctx;
    const now = this.ctx.now();
    const sessionToken = generateSessionToken();
    const expiresAt = new Date(now.getTime() + settings.maxAgeMs);
    const idleExpiresAt = new Date(now.getTime() + Math.min(settings.idleMs, settings.maxAgeMs));
    const idTokenEnc = cmd.idToken ? encryptSecret(cmd.idToken, keyring) : null;
    const { user, created, session } = await withTransaction(pool, async (tx) => {
      const u = await upsertIdentity(tx, { providerId: cmd.providerId, subject: cmd.subject, profile: cmd.profile, now });
      const s = await openSession(tx, {
        userId: u.user.id, providerId: cmd.providerId, tokenHash: hashSessionToken(sessionToken), idTokenEnc, userAgent: cmd.userAgent ?? null,
        now, idleExpiresAt, expiresAt,
      }, settings.maxPerUser);
      return { ...u, session: s };
    });
    this.ctx.logger.info(
      { userId: user.id, providerId: cmd.providerId, sessionId: session.id, created, sessionsEnded: session.evicted.length, correlationId: cmd.correlationId },
      'signed in',
    );
    return { user: presentUser(user), sessionToken, expiresAt: expiresAt.toISOString(), created, endedTokenHashes: session.evicted };
  }
}
