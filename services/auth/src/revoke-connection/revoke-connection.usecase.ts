import { Inject, Injectable } from '@nestjs/common';
import type { RevokeConnectionCommand, RevokeConnectionResult } from '@harness/contracts';
import { selectClientAuthMethod } from '@modelcontextprotocol/sdk/client/auth.js';
import { clientFor, type ResolvedClient } from '../oauth/clients.js';
import { decrypt, type OAuthContext } from '../oauth/context.js';
import { clearAttempts, deleteConnection, findConnection, type ConnectionRow } from '../oauth/store.js';
import { canonicalServerUrl } from '../oauth/urls.js';
import { OAUTH_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.revoke`: RFC 7009 at the authorization server's `revocation_endpoint` when it advertises one (the refresh
 * token first — revoking it usually revokes the access tokens issued with it — then the access token), then the row
 * is deleted. A failed revocation is logged, not fatal: the user asked to disconnect and Harness forgets the tokens
 * either way. `revoked` says whether there was a connection.
 */
@Injectable()
export class RevokeConnection {
  constructor(@Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext) {}

  async execute(cmd: RevokeConnectionCommand): Promise<RevokeConnectionResult> {
    const serverUrl = canonicalServerUrl(cmd.serverUrl);
    const row = await findConnection(this.ctx.db.pool, cmd.userId, serverUrl);
    if (row) await this.revokeAtServer(row);
    const deleted = await deleteConnection(this.ctx.db.pool, cmd.userId, serverUrl);
    // A deliberate disconnect starts the step-up cap afresh.
    await clearAttempts(this.ctx.db.pool, cmd.userId, serverUrl);
    this.ctx.logger.info({ userId: cmd.userId, serverUrl, deleted }, 'connection revoked');
    return { revoked: deleted };
  }

  private async revokeAtServer(row: ConnectionRow): Promise<void> {
    const endpoint = row.authMetadata?.revocation_endpoint;
    if (!endpoint) return;
    const client = await clientFor(this.ctx, row.issuer, row.clientId, row.serverUrl);
    if (!client) {
      this.ctx.logger.warn({ serverUrl: row.serverUrl, issuer: row.issuer }, 'revocation skipped: the client is no longer registered');
      return;
    }
    const supported = row.authMetadata?.revocation_endpoint_auth_methods_supported ?? row.authMetadata?.token_endpoint_auth_methods_supported ?? [];
    const tokens: [string, 'refresh_token' | 'access_token'][] = [];
    try {
      if (row.refreshTokenEnc) tokens.push([decrypt(this.ctx, row.refreshTokenEnc), 'refresh_token']);
      tokens.push([decrypt(this.ctx, row.accessTokenEnc), 'access_token']);
    } catch (err) {
      this.ctx.logger.warn({ serverUrl: row.serverUrl, reason: (err as Error).message }, 'revocation skipped: stored tokens cannot be decrypted');
      return;
    }
    for (const [token, hint] of tokens) {
      try {
        // No redirects: a redirect would carry the token and the client's credentials elsewhere.
        const res = await this.ctx.fetchFn(endpoint, { ...revocationRequest(client, supported, token, hint), redirect: 'error' });
        await res.body?.cancel().catch(() => undefined);
        // RFC 7009 §2.2: 200 also for tokens the server does not know.
        if (!res.ok) this.ctx.logger.warn({ serverUrl: row.serverUrl, tokenTypeHint: hint, status: res.status }, 'token revocation refused');
      } catch (err) {
        this.ctx.logger.warn({ serverUrl: row.serverUrl, tokenTypeHint: hint, reason: (err as Error).message }, 'token revocation failed');
      }
    }
  }
}

/** An RFC 7009 request with the client authenticated the way the server supports (as the SDK does at the token endpoint, Basic credentials included). */
export function revocationRequest(client: ResolvedClient, supportedMethods: string[], token: string, hint: string): RequestInit {
  const body = new URLSearchParams({ token, token_type_hint: hint });
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const { client_id: id, client_secret: secret } = client.info;
  const method = selectClientAuthMethod(client.info, supportedMethods);
  if (method === 'client_secret_basic' && secret) {
    headers.Authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  } else {
    body.set('client_id', id);
    if (method === 'client_secret_post' && secret) body.set('client_secret', secret);
  }
  return { method: 'POST', headers, body };
}
