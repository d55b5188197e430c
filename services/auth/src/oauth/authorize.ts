import { startAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { assertAttemptAllowed } from './checks.js';
import { findPreRegistered, resolveClient } from './clients.js';
import { decrypt, encrypt, hashState, randomToken, type OAuthContext } from './context.js';
import { discover } from './discovery.js';
import { OAuthRefusal, outboundFailure } from './errors.js';
import { scopeKey, selectScopes, stepUpScopes } from './scopes.js';
import { countAttempt, findAnyPendingState, findConnection, findPendingState, insertState } from './store.js';
import { canonicalServerUrl } from './urls.js';

export interface BeginAuthorization {
  userId: string;
  serverUrl: string;
  /** Scopes a 403 `insufficient_scope` asked for (step-up). */
  scope?: string;
  wwwAuthenticate?: string;
}

/**
 * Starts (or steps up) an authorization: discovery and its checks, scope selection, the attempt cap, the client
 * (pre-registered, CIMD, DCR), PKCE S256 with `resource`, and a single-use state stored hashed with the encrypted
 * verifier. A pending authorization for the same user, server and scopes that still has at least half its life is
 * handed out again instead of starting another (repeated clicks and repeated token requests do not use up attempts).
 */
export async function beginAuthorization(ctx: OAuthContext, cmd: BeginAuthorization): Promise<{ authorizationUrl: string; nonce: string }> {
  const serverUrl = canonicalServerUrl(cmd.serverUrl);
  const discovery = await discover(serverUrl, { fetchFn: ctx.fetchFn, policy: ctx.outboundPolicy, wwwAuthenticate: cmd.wwwAuthenticate });

  const challengeScope = cmd.scope ?? discovery.challenge.scope;
  const stepUp = cmd.scope !== undefined || discovery.challenge.error === 'insufficient_scope';
  const pre = findPreRegistered(ctx, discovery.issuer, serverUrl);
  let scopes = selectScopes({
    challenge: challengeScope,
    resourceScopesSupported: discovery.resourceMetadata?.scopes_supported,
    authServerScopesSupported: discovery.metadata?.scopes_supported,
    configuredScopes: pre?.scopes,
  });
  if (stepUp) {
    const existing = await findConnection(ctx.db.pool, cmd.userId, serverUrl);
    scopes = stepUpScopes(scopes, existing?.scopes ?? []);
  }
  const key = scopeKey(scopes);
  const now = ctx.now();

  const pending = await findPendingState(ctx.db.pool, cmd.userId, serverUrl, key, new Date(now.getTime() + ctx.settings.stateTtlMs / 2));
  if (pending) return { authorizationUrl: decrypt(ctx, pending.authorizationUrlEnc), nonce: pending.nonce };

  assertAttemptAllowed(await countAttempt(ctx.db.pool, cmd.userId, serverUrl, key, ctx.settings.stateTtlMs), serverUrl, ctx.settings.stateTtlMs);

  const scope = scopes.length ? scopes.join(' ') : undefined;
  const client = await resolveClient(ctx, { issuer: discovery.issuer, serverUrl, authServerUrl: discovery.authServerUrl, metadata: discovery.metadata, scope });
  const state = randomToken(32);
  const nonce = randomToken(16);
  let started;
  try {
    started = await startAuthorization(discovery.authServerUrl, {
      metadata: discovery.metadata,
      clientInformation: client.info,
      redirectUrl: ctx.settings.redirectUrl,
      scope,
      state,
      resource: discovery.resource,
    });
  } catch (err) {
    throw err instanceof Error && /Incompatible auth server/.test(err.message) ? new OAuthRefusal(err.message) : outboundFailure('Preparing the authorization', err);
  }
  const authorizationUrl = started.authorizationUrl.href;
  await insertState(ctx.db.pool, {
    stateHash: hashState(state),
    userId: cmd.userId,
    serverUrl,
    resource: discovery.resource ?? null,
    expectedIssuer: discovery.issuer,
    authServerUrl: discovery.authServerUrl,
    authMetadata: discovery.metadata ?? null,
    clientId: client.info.client_id,
    codeVerifierEnc: encrypt(ctx, started.codeVerifier),
    authorizationUrlEnc: encrypt(ctx, authorizationUrl),
    scopes,
    scopeKey: key,
    nonce,
    redirectUri: ctx.settings.redirectUrl,
    expiresAt: new Date(now.getTime() + ctx.settings.stateTtlMs),
  });
  ctx.logger.info({ userId: cmd.userId, serverUrl, issuer: discovery.issuer, client: client.source, legacy: discovery.legacy, scopes }, 'authorization started');
  return { authorizationUrl, nonce };
}

/**
 * For replies that should offer a way to reconnect: an authorization URL when one can be started, else none. Without
 * a challenge or scope to act on, a pending authorization of the user for the server is offered again before any
 * discovery: a harness whose server is not connected yet asks on every run, and each ask would otherwise cost a
 * round of requests to the MCP and authorization servers.
 */
export async function tryBeginAuthorization(ctx: OAuthContext, cmd: BeginAuthorization): Promise<string | undefined> {
  try {
    if (cmd.scope === undefined && cmd.wwwAuthenticate === undefined) {
      const validUntil = new Date(ctx.now().getTime() + ctx.settings.stateTtlMs / 2);
      const pending = await findAnyPendingState(ctx.db.pool, cmd.userId, canonicalServerUrl(cmd.serverUrl), validUntil);
      if (pending) return decrypt(ctx, pending.authorizationUrlEnc);
    }
    return (await beginAuthorization(ctx, cmd)).authorizationUrl;
  } catch (err) {
    ctx.logger.warn({ serverUrl: cmd.serverUrl, reason: err instanceof Error ? err.message : String(err) }, 'could not start an authorization for a reconnect prompt');
    return undefined;
  }
}
