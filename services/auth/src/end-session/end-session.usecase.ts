import { Inject, Injectable } from '@nestjs/common';
import type { EndSessionCommand, EndSessionsResult } from '@harness/contracts';
import type { SessionsContext } from '../sessions/context.js';
import { deleteSessionByHash } from '../sessions/store.js';
import { SESSIONS_CONTEXT } from '../tokens.js';

/** `auth.cmd.session-end` (sign-out): deletes the session with this hash; an unknown one is `{ended: 0}`. */
@Injectable()
export class EndSession {
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  async execute(cmd: EndSessionCommand): Promise<EndSessionsResult> {
    const tokenHashes = await deleteSessionByHash(this.ctx.pool, cmd.tokenHash);
    if (tokenHashes.length) this.ctx.logger.info({ correlationId: cmd.correlationId }, 'session ended');
    return { ended: tokenHashes.length, tokenHashes };
  }
}
