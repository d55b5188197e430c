import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ConnectionStatusCommand, ConnectionStatusResult } from '@harness/contracts';
import type { CrossAppAccess } from '../oauth/cross-app-access/connect.js';
import type { OAuthContext } from '../oauth/context.js';
import { findConnection, type ConnectionRow } from '../oauth/store.js';
import { canonicalServerUrl } from '../oauth/urls.js';
import { CROSS_APP_ACCESS, OAUTH_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.status`: `disconnected` (no row), the stored status, or `expired` for a connection whose access token
 * has run out and that has no refresh token to renew it (the row is kept until the user reconnects or revokes).
 * Either way, for a user whose enterprise IdP session allows Cross-App Access, the connection is made first (as the
 * access-token and start commands do), so the status a web app shows is the one its next tool call will find.
 */
@Injectable()
export class ConnectionStatus {
  constructor(
    @Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext,
    @Optional() @Inject(CROSS_APP_ACCESS) private readonly xaa?: CrossAppAccess,
  ) {}

  async execute(cmd: ConnectionStatusCommand): Promise<ConnectionStatusResult> {
    const serverUrl = canonicalServerUrl(cmd.serverUrl);
    let row = await findConnection(this.ctx.db.pool, cmd.userId, serverUrl);
    if (!row || this.ranOut(row)) row = (await this.xaa?.connect({ userId: cmd.userId, serverUrl })) ?? row;
    if (!row) return { status: 'disconnected' };
    const ranOut = this.ranOut(row);
    return {
      status: ranOut ? 'expired' : row.status,
      scopes: row.scopes,
      ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}),
    };
  }

  private ranOut(row: ConnectionRow): boolean {
    return row.status === 'connected' && row.refreshTokenEnc === null && row.expiresAt !== null && row.expiresAt.getTime() <= this.ctx.now().getTime();
  }
}
