import { Inject, Injectable } from '@nestjs/common';
import type { EndAllSessionsCommand, EndSessionsResult } from '@harness/contracts';
import type { SessionsContext } from '../sessions/context.js';
import { deleteUserSessions } from '../sessions/store.js';
import { SESSIONS_CONTEXT } from '../tokens.js';

/** `auth.cmd.session-end-all` (sign out everywhere): deletes every session of the user. */
@Injectable()
export class EndAllSessions {
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  async execute(cmd: EndAllSessionsCommand): Promise<EndSessionsResult> {
    const tokenHashes = await deleteUserSessions(this.ctx.pool, cmd.userId);
    this.ctx.logger.info({ userId: cmd.userId, ended: tokenHashes.length, correlationId: cmd.correlationId }, 'all sessions ended');
    return { ended: tokenHashes.length, tokenHashes };
  }
}
