import { Inject, Injectable } from '@nestjs/common';
import type { ClientCredentialsTokenCommand, ClientCredentialsTokenResult } from '@harness/contracts';
import { SecretDecryptionError, SigningKeyError } from '@harness/crypto';
import { withTransaction } from '@harness/db';
import { fetchToken } from '@modelcontextprotocol/sdk/client/auth.js';
import { InvalidClientError, InvalidScopeError, OAuthError, UnauthorizedClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { decrypt, type OAuthContext } from '../oauth/context.js';
import { discover, type Discovery } from '../oauth/discovery.js';
import { OAuthRefusal, oneLine, outboundFailure } from '../oauth/errors.js';
import { selectScopes, unionScopes } from '../oauth/scopes.js';
import { needsRefresh, toStoredTokens } from '../oauth/tokens.js';
import { canonicalServerUrl, sameIssuer } from '../oauth/urls.js';
import { parseWwwAuthenticate } from '../oauth/www-authenticate.js';
import { OAUTH_CONTEXT } from '../tokens.js';
import { serviceProvider, type ServiceClient } from './service-client.js';
import { deleteServiceToken, findServiceServer, pinServiceIssuer, findServiceToken, lockServiceToken, upsertServiceToken, type ServiceServerRow, type ServiceTokenRow } from './store.js';

/**
 * `auth.cmd.client-credentials-token`: the access token of an MCP server with a service identity (`authType:
 * "client_credentials"`), for the harness owner. The server's client comes from the owner's server row (the secret
 * or key decrypted here only); the token is cached encrypted per (owner, server URL, client id) and requested again
 * within HARNESS_OAUTH_REFRESH_SKEW_MS of its expiry, or when the server refused it (`rejected`, with the 401/403
 * challenge, whose scope is then added). Discovery is the user flow's (probe → protected resource metadata →
 * authorization server metadata, every URL through the SSRF guard); one token request at a time per key across
 * replicas (an advisory lock; a caller that waited uses the token the other one stored). The issuer that first
 * accepted the credentials is pinned on the server row (`client_issuer`) until they are entered again: a server that
 * then names another authorization server does not get them sent there. A failure is a reply
 * with a sentence (`status: "error"`), never a crash; the secret, key and token never appear in it or in a log.
 */
@Injectable()
export class ClientCredentialsToken {
  constructor(@Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext) {}

  async execute(cmd: ClientCredentialsTokenCommand): Promise<ClientCredentialsTokenResult> {
    const server = await findServiceServer(this.ctx.db.pool, cmd.userId, cmd.serverId);
    if (!server?.clientId) return { status: 'error', message: 'This MCP server has no client credentials configured.' };
    const serverUrl = canonicalServerUrl(server.url);
    const clientId = server.clientId;
    const cached = await findServiceToken(this.ctx.db.pool, cmd.userId, serverUrl, clientId);
    const rejected = cmd.rejected === true && cached !== undefined && (cmd.rejectedVersion === undefined || cmd.rejectedVersion >= cached.version);
    if (cached && !rejected && !needsRefresh(cached.expiresAt, this.ctx.now(), this.ctx.settings.refreshSkewMs)) {
      const answer = this.answer(cached);
      if (answer) {
        // A token another harness of the owner obtained: this server's credentials are pinned to its issuer too.
        if (server.clientIssuer === null) await pinServiceIssuer(this.ctx.db.pool, cmd.userId, cmd.serverId, (server.privateKeyEnc ?? server.clientSecretEnc) ?? '', cached.issuer);
        return answer;
      }
    }
    try {
      return await this.obtain(cmd, server, serverUrl, clientId, cached, rejected);
    } catch (err) {
      const message = this.failure(err, serverUrl);
      this.ctx.logger.warn({ userId: cmd.userId, serverUrl, clientId, reason: message }, 'client credentials token request failed');
      // A refused token that could not be replaced is of no use any more.
      if (rejected) await deleteServiceToken(this.ctx.db.pool, cmd.userId, serverUrl, clientId).catch(() => undefined);
      return { status: 'error', message };
    }
  }

  private async obtain(
    cmd: ClientCredentialsTokenCommand, server: ServiceServerRow, serverUrl: string, clientId: string, cached: ServiceTokenRow | undefined, rejected: boolean,
  ): Promise<ClientCredentialsTokenResult> {
    const ctx = this.ctx;
    const client = this.client(server, clientId);
    // Discovery before the lock: it is several requests, and the lock is held in a transaction.
    const discovery = await discover(serverUrl, { fetchFn: ctx.fetchFn, policy: ctx.outboundPolicy, wwwAuthenticate: cmd.wwwAuthenticate, requirePkce: false });
    assertPinnedIssuer(server.clientIssuer, discovery.issuer, serverUrl);
    const scopes = this.scopes(discovery, cmd.wwwAuthenticate, cached);
    const scope = scopes.length ? scopes.join(' ') : undefined;
    const provider = serviceProvider(client, discovery.metadata, discovery.issuer, discovery.authServerUrl, scope);

    return withTransaction(ctx.db.pool, async (tx) => {
      await lockServiceToken(tx, cmd.userId, serverUrl, clientId);
      const current = await findServiceToken(tx, cmd.userId, serverUrl, clientId);
      // Another caller got a token while this one waited: use it (unless it is the very token that was refused).
      if (current && current.version !== cached?.version && !needsRefresh(current.expiresAt, ctx.now(), ctx.settings.refreshSkewMs)) {
        const answer = this.answer(current);
        if (answer) return answer;
      }
      let tokens;
      try {
        tokens = await fetchToken(provider, discovery.authServerUrl, { metadata: discovery.metadata, resource: discovery.resource, fetchFn: ctx.fetchFn });
      } catch (err) {
        throw err instanceof OAuthError ? err : outboundFailure(`Requesting a token from ${discovery.issuer}`, err);
      }
      const stored = toStoredTokens(ctx, tokens, scopes);
      const row = await upsertServiceToken(tx, {
        userId: cmd.userId, serverUrl, clientId, issuer: discovery.issuer,
        accessTokenEnc: stored.accessTokenEnc, tokenType: stored.tokenType, scopes: stored.scopes, expiresAt: stored.expiresAt,
      });
      if (server.clientIssuer === null) await pinServiceIssuer(tx, cmd.userId, cmd.serverId, (server.privateKeyEnc ?? server.clientSecretEnc)!, discovery.issuer);
      ctx.logger.info({ userId: cmd.userId, serverUrl, clientId, issuer: discovery.issuer, method: 'privateKeyPem' in client ? 'private_key_jwt' : 'client_secret', scopes: row.scopes, version: row.version, rejected }, 'client credentials token obtained');
      return { status: 'connected', accessToken: tokens.access_token, tokenType: row.tokenType, ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}), version: row.version };
    });
  }

  /** The challenge's scope (of the refusal, else of the probe), else the resource's `scopes_supported`; a step-up keeps what the token had. */
  private scopes(discovery: Discovery, wwwAuthenticate: string | undefined, cached: ServiceTokenRow | undefined): string[] {
    const challenge = wwwAuthenticate === undefined ? discovery.challenge : parseWwwAuthenticate(wwwAuthenticate);
    // No offline_access: this grant has no refresh token (a new token is simply requested again).
    const scopes = selectScopes({ challenge: challenge.scope ?? discovery.challenge.scope, resourceScopesSupported: discovery.resourceMetadata?.scopes_supported });
    return challenge.error === 'insufficient_scope' ? unionScopes(cached?.scopes, scopes) : scopes;
  }

  private client(server: ServiceServerRow, clientId: string): ServiceClient {
    try {
      if (server.privateKeyEnc) return { clientId, privateKeyPem: decrypt(this.ctx, server.privateKeyEnc) };
      if (server.clientSecretEnc) return { clientId, clientSecret: decrypt(this.ctx, server.clientSecretEnc) };
    } catch (err) {
      if (err instanceof SecretDecryptionError) throw new OAuthRefusal('The stored client secret or key of this server cannot be read (encryption key changed); enter it again in the harness.');
      throw err;
    }
    throw new OAuthRefusal('This MCP server has a client id but no client secret or private key; enter one in the harness.');
  }

  /** A cached token as the reply; undefined when it cannot be decrypted (a new one is requested then). */
  private answer(row: ServiceTokenRow): ClientCredentialsTokenResult | undefined {
    let accessToken: string;
    try {
      accessToken = decrypt(this.ctx, row.accessTokenEnc);
    } catch {
      return undefined;
    }
    return { status: 'connected', accessToken, tokenType: row.tokenType, ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}), version: row.version };
  }

  /** What went wrong, in a sentence for the tool call (no secret, no token). */
  private failure(err: unknown, serverUrl: string): string {
    if (err instanceof InvalidClientError || err instanceof UnauthorizedClientError) {
      return `The authorization server of ${serverUrl} refused Harness's client credentials (${err.errorCode}: ${oneLine(err.message, 200)}); check the client id and secret or key in the harness.`;
    }
    if (err instanceof InvalidScopeError) return `The authorization server of ${serverUrl} refused the requested scope (${oneLine(err.message, 200)}).`;
    if (err instanceof OAuthError) return `The authorization server of ${serverUrl} refused the token request (${err.errorCode}: ${oneLine(err.message, 200)}).`;
    if (err instanceof OAuthRefusal) return err.message;
    if (err instanceof SigningKeyError) return `The stored private key ${err.message}; enter another in the harness.`;
    return `Getting a token for ${serverUrl} failed: ${oneLine(err instanceof Error ? err.message : String(err), 200)}`;
  }
}

/** The credentials go only to the issuer that first accepted them (see the class comment). */
function assertPinnedIssuer(pinned: string | null, issuer: string, serverUrl: string): void {
  if (pinned === null || sameIssuer(pinned, issuer)) return;
  throw new OAuthRefusal(
    `${serverUrl} now names the authorization server ${issuer}, not ${pinned} which accepted its client credentials; ` +
      'Harness does not send them to another one. If the server really moved, enter the secret or key again in the harness.',
  );
}
