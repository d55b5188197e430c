import { Inject, Injectable } from '@nestjs/common';
import type { GetUserCommand, GetUserResult } from '@harness/contracts';
import type { SessionsContext } from '../sessions/context.js';
import { findUser } from '../sessions/store.js';
import { SESSIONS_CONTEXT } from '../tokens.js';

/** `auth.cmd.user-get`: the user's profile, null when the id never signed in (e.g. a JWT or API key user). */
@Injectable()
export class GetUser {
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  async execute(cmd: GetUserCommand): Promise<GetUserResult> {
    return { user: await findUser(this.ctx.pool, cmd.userId) };
  }
}
