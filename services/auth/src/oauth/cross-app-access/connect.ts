import type { LoginProvider, OidcLoginProvider } from '@harness/config';
import { decodeJwt } from 'jose';
import type { SessionsContext } from '../../sessions/context.js';
import { sessionIdToken } from '../../sessions/id-token.js';
import { findPreRegistered } from '../clients.js';
import type { OAuthContext } from '../context.js';
import { discover, type Discovery } from '../discovery.js';
import { oneLine } from '../errors.js';
import { parseScopes, selectScopes, stepUpScopes } from '../scopes.js';
import { findConnection, upsertConnection, type ConnectionRow } from '../store.js';
import { toStoredTokens } from '../tokens.js';
import { canonicalServerUrl } from '../urls.js';
import { exchangeIdToken, JWT_BEARER_GRANT, redeemIdJag, type ClientCredentials } from './grants.js';
import { IdpDirectory, XaaFailure } from './idp.js';

/** After a failed attempt, the same user and server are not tried again for this long (each try costs the IdP and the AS a request). */
const RETRY_AFTER_MS = 60_000;
const MAX_REMEMBERED_FAILURES = 10_000;

export interface XaaAttempt {
  userId: string;
  serverUrl: string;
  wwwAuthenticate?: string;
  /** Step-up: the scopes a 403 `insufficient_scope` asked for. */
  scope?: string;
}

/**
 * Cross-App Access (SEP-990, Enterprise-Managed Authorization): connects an MCP server for a user without a consent
 * screen when
 *  - the user has a live session at a login provider with `crossAppAccess.enabled` whose ID token has not expired
 *    (the ID token the gateway verified at sign-in: signature, `iss`, `aud`, `exp`, `nonce`; never one a client sent);
 *  - the server's authorization server advertises the RFC 7523 jwt-bearer grant, and Harness has a pre-registered
 *    client there listed for this server (HARNESS_OAUTH_CLIENTS), whose id the IdP puts in the grant.
 * Then: RFC 8693 token exchange of that ID token at the IdP for an ID-JAG (audience: the authorization server's issuer,
 * resource: the server), and the jwt-bearer grant of it at the authorization server. The tokens are stored like those
 * of a completed authorization. Anything else (no such session, an expired ID token, a refusal at either step, a
 * transport error) is `undefined`: the caller goes on with the normal authorization-code flow. Never throws.
 */
export class CrossAppAccess {
  private readonly providers: OidcLoginProvider[];
  private readonly idps: IdpDirectory;
  private readonly failedUntil = new Map<string, number>();

  constructor(private readonly ctx: OAuthContext, private readonly sessions: SessionsContext, loginProviders: readonly LoginProvider[]) {
    this.providers = loginProviders.filter((p): p is OidcLoginProvider => p.type === 'oidc' && p.crossAppAccess);
    this.idps = new IdpDirectory(ctx);
  }

  get enabled(): boolean {
    return this.providers.length > 0;
  }

  async connect(a: XaaAttempt): Promise<ConnectionRow | undefined> {
    if (!this.enabled) return undefined;
    const serverUrl = canonicalServerUrl(a.serverUrl);
    const key = `${a.userId} ${serverUrl}`;
    const now = this.ctx.now().getTime();
    if ((this.failedUntil.get(key) ?? 0) > now) return undefined;
    try {
      const row = await this.attempt(a.userId, serverUrl, a);
      if (!row) this.remember(key, now);
      return row;
    } catch (err) {
      this.remember(key, now);
      const reason = oneLine(err instanceof Error ? err.message : String(err), 300);
      this.ctx.logger.info({ userId: a.userId, serverUrl, reason }, 'Cross-App Access not possible: the normal authorization applies');
      return undefined;
    }
  }

  private remember(key: string, now: number): void {
    this.failedUntil.delete(key);
    this.failedUntil.set(key, now + RETRY_AFTER_MS);
    if (this.failedUntil.size > MAX_REMEMBERED_FAILURES) this.failedUntil.delete(this.failedUntil.keys().next().value!);
  }

  /** The user's live, unexpired ID tokens at the Cross-App Access providers, in configuration order. */
  private async idTokens(userId: string): Promise<{ provider: OidcLoginProvider; idToken: string }[]> {
    const found: { provider: OidcLoginProvider; idToken: string }[] = [];
    const nowSeconds = this.ctx.now().getTime() / 1000;
    for (const provider of this.providers) {
      const idToken = await sessionIdToken(this.sessions, userId, provider.id);
      if (!idToken) continue;
      let exp: unknown;
      try {
        exp = decodeJwt(idToken).exp;
      } catch {
        continue;
      }
      // Stored verified at sign-in; an expired one proves no current sign-in, and the IdP would refuse it anyway.
      if (typeof exp === 'number' && exp > nowSeconds + 5) found.push({ provider, idToken });
    }
    return found;
  }

  private async attempt(userId: string, serverUrl: string, a: XaaAttempt): Promise<ConnectionRow | undefined> {
    const ctx = this.ctx;
    const candidates = await this.idTokens(userId);
    if (candidates.length === 0) {
      ctx.logger.debug({ userId, serverUrl }, 'Cross-App Access: no live session with an unexpired ID token at a Cross-App Access provider');
      return undefined;
    }
    const discovery = await discover(serverUrl, { fetchFn: ctx.fetchFn, policy: ctx.outboundPolicy, wwwAuthenticate: a.wwwAuthenticate });
    const tokenEndpoint = discovery.metadata?.token_endpoint;
    if (discovery.legacy || !tokenEndpoint || !discovery.metadata?.grant_types_supported?.includes(JWT_BEARER_GRANT)) {
      ctx.logger.debug({ userId, serverUrl, issuer: discovery.issuer }, 'Cross-App Access: the authorization server does not offer the jwt-bearer grant');
      return undefined;
    }
    const pre = findPreRegistered(ctx, discovery.issuer, serverUrl);
    if (!pre?.clientSecret) {
      ctx.logger.debug({ userId, serverUrl, issuer: discovery.issuer }, 'Cross-App Access: no pre-registered client with a secret for this authorization server and server');
      return undefined;
    }
    const asClient: ClientCredentials = {
      clientId: pre.clientId,
      clientSecret: pre.clientSecret,
      authMethod: pre.tokenEndpointAuthMethod === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
    };
    const stepUp = a.scope !== undefined || discovery.challenge.error === 'insufficient_scope';
    let scopes = selectScopes({
      challenge: a.scope ?? discovery.challenge.scope,
      resourceScopesSupported: discovery.resourceMetadata?.scopes_supported,
      authServerScopesSupported: discovery.metadata.scopes_supported,
      configuredScopes: pre.scopes,
    });
    if (stepUp) scopes = stepUpScopes(scopes, (await findConnection(ctx.db.pool, userId, serverUrl))?.scopes ?? []);
    const scope = scopes.length ? scopes.join(' ') : undefined;

    for (const { provider, idToken } of candidates) {
      try {
        const idp = await this.idps.endpointOf(provider);
        const assertion = await exchangeIdToken(ctx.fetchFn, {
          tokenEndpoint: idp.tokenEndpoint,
          client: { clientId: provider.clientId, clientSecret: provider.clientSecret, authMethod: idp.authMethod },
          idToken,
          audience: discovery.issuer,
          resource: discovery.resource ?? serverUrl,
          scope,
        });
        const tokens = await redeemIdJag(ctx.fetchFn, { tokenEndpoint, client: asClient, assertion, scope });
        const granted = parseScopes(tokens.scope);
        if (stepUp && granted.length > 0 && !scopes.every((s) => granted.includes(s))) {
          throw new XaaFailure(`the authorization server granted ${granted.join(' ')}, not the ${scope} the server asks for`);
        }
        return await this.store(userId, discovery, pre.clientId, scopes, tokens, provider.id);
      } catch (err) {
        if (!(err instanceof XaaFailure)) throw err;
        ctx.logger.info({ userId, serverUrl, providerId: provider.id, issuer: discovery.issuer, reason: err.message }, 'Cross-App Access failed with this provider');
      }
    }
    return undefined;
  }

  private async store(userId: string, discovery: Discovery, clientId: string, scopes: string[], tokens: Parameters<typeof toStoredTokens>[1], providerId: string): Promise<ConnectionRow> {
    const stored = toStoredTokens(this.ctx, tokens, scopes);
    const row = await upsertConnection(this.ctx.db.pool, {
      userId,
      serverUrl: discovery.serverUrl,
      resource: discovery.resource ?? discovery.serverUrl,
      resourceIndicator: discovery.resource ?? null,
      issuer: discovery.issuer,
      authServerUrl: discovery.authServerUrl,
      authMetadata: discovery.metadata ?? null,
      clientId,
      ...stored,
    });
    this.ctx.logger.info(
      { userId, serverUrl: discovery.serverUrl, issuer: discovery.issuer, providerId, scopes: stored.scopes, refreshable: stored.refreshTokenEnc !== null },
      'connected by Cross-App Access',
    );
    return row;
  }
}
