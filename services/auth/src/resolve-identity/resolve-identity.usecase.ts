import { Inject, Injectable } from '@nestjs/common';
import type { ResolveIdentityCommand, ResolveIdentityResult } from '@harness/contracts';
import type { SessionsContext } from '../sessions/context.js';
import { findIdentityUser } from '../sessions/store.js';
import { SESSIONS_CONTEXT } from '../tokens.js';

/** `auth.cmd.identity-resolve`: the user of (provider, subject), null when that identity never signed in. */
@Injectable()
export class ResolveIdentity {
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  async execute(cmd: ResolveIdentityCommand): Promise<ResolveIdentityResult> {
    return { userId: await findIdentityUser(this.ctx.pool, cmd.providerId, cmd.subject) };
  }
}
