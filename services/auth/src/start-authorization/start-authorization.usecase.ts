import { Inject, Injectable } from '@nestjs/common';
import type { StartAuthorizationCommand, StartAuthorizationResult } from '@harness/contracts';
import { beginAuthorization } from '../oauth/authorize.js';
import type { OAuthContext } from '../oauth/context.js';
import { OAUTH_CONTEXT } from '../tokens.js';

/** `auth.cmd.start`: discovery, registration, PKCE and a single-use state (see oauth/authorize.ts). */
@Injectable()
export class StartAuthorization {
  constructor(@Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext) {}

  execute(cmd: StartAuthorizationCommand): Promise<StartAuthorizationResult> {
    return beginAuthorization(this.ctx, cmd);
  }
}
