import { Inject, Injectable } from '@nestjs/common';
import type { ConnectionStatusCommand, ConnectionStatusResult } from '@harness/contracts';
import type { OAuthContext } from '../oauth/context.js';
import { findConnection } from '../oauth/store.js';
import { canonicalServerUrl } from '../oauth/urls.js';
import { OAUTH_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.status`: `disconnected` (no row), the stored status, or `expired` for a connection whose access token
 * has run out and that has no refresh token to renew it (the row is kept until the user reconnects or revokes).
 */
@Injectable()
export class ConnectionStatus {
  constructor(@Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext) {}

  async execute(cmd: ConnectionStatusCommand): Promise<ConnectionStatusResult> {
    const row = await findConnection(this.ctx.db.pool, cmd.userId, canonicalServerUrl(cmd.serverUrl));
    if (!row) return { status: 'disconnected' };
    const ranOut = row.status === 'connected' && row.refreshTokenEnc === null && row.expiresAt !== null && row.expiresAt.getTime() <= this.ctx.now().getTime();
    return {
      status: ranOut ? 'expired' : row.status,
      scopes: row.scopes,
      ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}),
    };
  }
}
