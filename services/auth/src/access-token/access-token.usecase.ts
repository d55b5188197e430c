import { Inject, Injectable, Optional } from '@nestjs/common';
import type { GetAccessTokenCommand, GetAccessTokenResult } from '@harness/contracts';
import { withTransaction } from '@harness/db';
import { refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { InvalidClientError, InvalidGrantError, OAuthError, UnauthorizedClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { tryBeginAuthorization } from '../oauth/authorize.js';
import { clientFor } from '../oauth/clients.js';
import { needsReencryption, SecretDecryptionError } from '@harness/crypto';
import { decrypt, encrypt, type OAuthContext } from '../oauth/context.js';
import { oneLine } from '../oauth/errors.js';
import { deleteClient, findConnection, reencryptTokens, setConnectionStatus, swapTokens, type ConnectionRow } from '../oauth/store.js';
import { needsRefresh, toStoredTokens } from '../oauth/tokens.js';
import { canonicalServerUrl } from '../oauth/urls.js';
import type { CrossAppAccess } from '../oauth/cross-app-access/connect.js';
import { CROSS_APP_ACCESS, OAUTH_CONTEXT } from '../tokens.js';

type Outcome = { kind: 'token'; row: ConnectionRow } | { kind: 'reconnect'; status: 'expired' | 'error'; message: string } | { kind: 'failed'; message: string };

/**
 * `auth.cmd.access-token`: a usable access token for (user, server), refreshed when it is within
 * HARNESS_OAUTH_REFRESH_SKEW_MS of expiry or was rejected by the server.
 *
 * One refresh at a time per user and server across every replica: the refresh runs in a transaction holding the
 * connection row (`SELECT … FOR UPDATE`); a replica that waited on the lock re-reads the row and, when its version
 * moved on, uses the token the other replica stored instead of refreshing again (a rotated refresh token would
 * otherwise be spent twice: `invalid_grant`). The write is a compare-and-swap on the version as well.
 * `invalid_grant` → the connection becomes `expired` (kept, so status shows it) and the reply asks the user to
 * reconnect, with a fresh authorization URL when one can be started — unless Cross-App Access can connect the user
 * first (an enterprise IdP session; oauth/cross-app-access), whose token is then answered instead.
 */
@Injectable()
export class GetAccessToken {
  constructor(
    @Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext,
    @Optional() @Inject(CROSS_APP_ACCESS) private readonly xaa?: CrossAppAccess,
  ) {}

  async execute(cmd: GetAccessTokenCommand): Promise<GetAccessTokenResult> {
    const serverUrl = canonicalServerUrl(cmd.serverUrl);
    try {
      return await this.run(cmd, serverUrl);
    } catch (err) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      // The key that encrypted them is gone from the keyring: the tokens are unusable; the user connects again.
      this.ctx.logger.error({ userId: cmd.userId, serverUrl, reason: err.message }, 'stored OAuth tokens cannot be decrypted');
      return this.reconnect(cmd, serverUrl, 'error', `The stored authorization for ${serverUrl} cannot be read (encryption key changed); connect again.`);
    }
  }

  private async run(cmd: GetAccessTokenCommand, serverUrl: string): Promise<GetAccessTokenResult> {
    const ctx = this.ctx;
    const row = await findConnection(ctx.db.pool, cmd.userId, serverUrl);
    if (!row) return this.reconnect(cmd, serverUrl, 'disconnected', `${serverUrl} needs you to connect your account (OAuth).`);
    if (row.status !== 'connected') return this.reconnect(cmd, serverUrl, row.status, reconnectMessage(serverUrl, row.status));

    const rejectedThis = cmd.rejected === true && (cmd.rejectedVersion === undefined || cmd.rejectedVersion >= row.version);
    if (!rejectedThis && !needsRefresh(row.expiresAt, ctx.now(), ctx.settings.refreshSkewMs)) return this.token(row);

    const outcome = await this.refresh(cmd.userId, serverUrl, row.version, rejectedThis);
    if (outcome.kind === 'token') return this.token(outcome.row);
    if (outcome.kind === 'failed') return { status: 'error', message: outcome.message };
    return this.reconnect(cmd, serverUrl, outcome.status, outcome.message);
  }

  private async refresh(userId: string, serverUrl: string, seenVersion: number, rejected: boolean): Promise<Outcome> {
    const ctx = this.ctx;
    return withTransaction(ctx.db.pool, async (tx) => {
      const row = await findConnection(tx, userId, serverUrl, true);
      if (!row) return { kind: 'reconnect', status: 'expired', message: `${serverUrl} was disconnected; connect again.` };
      if (row.status !== 'connected') return { kind: 'reconnect', status: row.status, message: reconnectMessage(serverUrl, row.status) };
      // Another replica refreshed (or the user reconnected) while this one waited: use its token.
      if (row.version !== seenVersion && !needsRefresh(row.expiresAt, ctx.now(), ctx.settings.refreshSkewMs)) return { kind: 'token', row };
      if (!rejected && row.version === seenVersion && !needsRefresh(row.expiresAt, ctx.now(), ctx.settings.refreshSkewMs)) return { kind: 'token', row };

      if (!row.refreshTokenEnc) {
        // No refresh token: the connection ends when its access token does (or is refused).
        if (rejected || (row.expiresAt && row.expiresAt.getTime() <= ctx.now().getTime())) {
          await setConnectionStatus(tx, userId, serverUrl, row.version, 'expired');
          return { kind: 'reconnect', status: 'expired', message: `Your authorization for ${serverUrl} has expired; connect again.` };
        }
        return { kind: 'token', row }; // within the skew but still valid: use it while it lasts
      }

      const client = await clientFor(ctx, row.issuer, row.clientId, serverUrl);
      if (!client) {
        await setConnectionStatus(tx, userId, serverUrl, row.version, 'error');
        return { kind: 'reconnect', status: 'error', message: `The OAuth client for ${serverUrl} is no longer registered; connect again.` };
      }
      try {
        const tokens = await refreshAuthorization(row.authServerUrl, {
          metadata: row.authMetadata ?? undefined,
          clientInformation: client.info,
          refreshToken: decrypt(ctx, row.refreshTokenEnc),
          resource: row.resourceIndicator ?? undefined,
          fetchFn: ctx.fetchFn,
        });
        const stored = toStoredTokens(ctx, tokens, row.scopes, row.refreshTokenEnc);
        const swapped = await swapTokens(tx, userId, serverUrl, row.version, stored);
        if (!swapped) return { kind: 'failed', message: `The tokens for ${serverUrl} changed during the refresh; try again.` };
        ctx.logger.info({ userId, serverUrl, version: swapped.version, rotated: !!tokens.refresh_token }, 'access token refreshed');
        return { kind: 'token', row: swapped };
      } catch (err) {
        if (err instanceof InvalidGrantError) {
          await setConnectionStatus(tx, userId, serverUrl, row.version, 'expired');
          ctx.logger.info({ userId, serverUrl }, 'refresh token refused (invalid_grant): connection expired');
          return { kind: 'reconnect', status: 'expired', message: `Your authorization for ${serverUrl} has expired or was revoked; connect again.` };
        }
        if (err instanceof InvalidClientError || err instanceof UnauthorizedClientError) {
          await setConnectionStatus(tx, userId, serverUrl, row.version, 'error');
          await deleteClient(tx, row.issuer, row.clientId);
          ctx.logger.warn({ userId, serverUrl, issuer: row.issuer }, 'the authorization server no longer accepts the client: connection in error');
          return { kind: 'reconnect', status: 'error', message: `The authorization server of ${serverUrl} no longer accepts Harness's client; connect again.` };
        }
        const reason = err instanceof OAuthError ? `${err.constructor.name}: ${oneLine(err.message)}` : oneLine(err instanceof Error ? err.message : String(err));
        ctx.logger.warn({ userId, serverUrl, reason }, 'refresh failed (transient): connection kept');
        return { kind: 'failed', message: `Refreshing the access token for ${serverUrl} failed (${reason}); try again.` };
      }
    });
  }

  private async token(row: ConnectionRow): Promise<GetAccessTokenResult> {
    const accessToken = decrypt(this.ctx, row.accessTokenEnc);
    if (needsReencryption(row.accessTokenEnc, this.ctx.keyring) || (row.refreshTokenEnc && needsReencryption(row.refreshTokenEnc, this.ctx.keyring))) {
      // Encrypted under a previous key (HARNESS_ENCRYPTION_KEY_PREVIOUS): stored again under the current one.
      const refresh = row.refreshTokenEnc ? encrypt(this.ctx, decrypt(this.ctx, row.refreshTokenEnc)) : null;
      await reencryptTokens(this.ctx.db.pool, row.userId, row.serverUrl, row.version, encrypt(this.ctx, accessToken), refresh).catch((err: unknown) => {
        this.ctx.logger.warn({ serverUrl: row.serverUrl, reason: (err as Error).message }, 're-encrypting tokens under the current key failed');
      });
    }
    return {
      status: 'connected',
      accessToken,
      tokenType: row.tokenType,
      ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}),
      version: row.version,
    };
  }

  private async reconnect(cmd: GetAccessTokenCommand, serverUrl: string, status: 'disconnected' | 'expired' | 'error', message: string): Promise<GetAccessTokenResult> {
    const viaXaa = await this.xaa?.connect({ userId: cmd.userId, serverUrl, wwwAuthenticate: cmd.wwwAuthenticate });
    if (viaXaa) return this.token(viaXaa);
    const authorizationUrl = await tryBeginAuthorization(this.ctx, { userId: cmd.userId, serverUrl, wwwAuthenticate: cmd.wwwAuthenticate });
    return { status, message, ...(authorizationUrl ? { authorizationUrl } : {}) };
  }
}

const reconnectMessage = (serverUrl: string, status: 'expired' | 'error') =>
  status === 'expired' ? `Your authorization for ${serverUrl} has expired; connect again.` : `The connection to ${serverUrl} is in error; connect again.`;
