import { Inject, Injectable, Optional } from '@nestjs/common';
import type { StartAuthorizationCommand, StartAuthorizationResult } from '@harness/contracts';
import { beginAuthorization } from '../oauth/authorize.js';
import type { OAuthContext } from '../oauth/context.js';
import type { CrossAppAccess } from '../oauth/cross-app-access/connect.js';
import { canonicalServerUrl } from '../oauth/urls.js';
import { CROSS_APP_ACCESS, OAUTH_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.start`: Cross-App Access first (no consent screen: `{status: "connected"}` when the user's enterprise IdP
 * session connects the server, see oauth/cross-app-access), else discovery, registration, PKCE and a single-use state
 * (see oauth/authorize.ts).
 */
@Injectable()
export class StartAuthorization {
  constructor(
    @Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext,
    @Optional() @Inject(CROSS_APP_ACCESS) private readonly xaa?: CrossAppAccess,
  ) {}

  async execute(cmd: StartAuthorizationCommand): Promise<StartAuthorizationResult> {
    const viaXaa = await this.xaa?.connect({ userId: cmd.userId, serverUrl: cmd.serverUrl, wwwAuthenticate: cmd.wwwAuthenticate, scope: cmd.scope });
    if (viaXaa) return { status: 'connected', serverUrl: canonicalServerUrl(cmd.serverUrl) };
    return beginAuthorization(this.ctx, cmd);
  }
}
