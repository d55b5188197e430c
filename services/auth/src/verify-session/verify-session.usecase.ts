import { Inject, Injectable } from '@nestjs/common';
import type { VerifySessionCommand, VerifySessionResult } from '@harness/contracts';
import type { SessionsContext } from '../sessions/context.js';
import { touchSession } from '../sessions/store.js';
import { SESSIONS_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.session-verify`: the gateway sends the cookie's hash; unknown, ended and expired (absolute or idle) sessions
 * are all `valid: false`. A valid one slides its idle expiry; `expiresAt` is the absolute expiry.
 */
@Injectable()
export class VerifySession {
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  async execute(cmd: VerifySessionCommand): Promise<VerifySessionResult> {
    const s = await touchSession(this.ctx.pool, cmd.tokenHash, this.ctx.now(), this.ctx.settings.idleMs);
    if (!s) return { valid: false };
    return { valid: true, user: s.user, sessionId: s.id, providerId: s.providerId, expiresAt: s.expiresAt.toISOString() };
  }
}
