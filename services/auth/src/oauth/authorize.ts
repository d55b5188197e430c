import { randomUUID } from 'node:crypto';
import { withTransaction } from '@harness/db';
import { startAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { assertAttemptAllowed, assertPendingAllowed } from './checks.js';
import { findPreRegistered, resolveClient } from './clients.js';
import { decrypt, encrypt, hashBinding, hashState, randomToken, type OAuthContext } from './context.js';
import { discover } from './discovery.js';
import { OAuthRefusal, outboundFailure } from './errors.js';
import { scopeKey, selectScopes, stepUpScopes } from './scopes.js';
import {
  bindState, countAttempt, countInFlight, findAnyPendingState, findConnection, findPendingState, insertReservation, insertState, lockUserStarts,
  releaseStart, type StateRow,
} from './store.js';
import { canonicalServerUrl } from './urls.js';

export interface BeginAuthorization {
  userId: string;
  serverUrl: string;
  /** Scopes a 403 `insufficient_scope` asked for (step-up). */
  scope?: string;
  wwwAuthenticate?: string;
  /** The browser's binding (the gateway's start); none when the broker asks for a reconnect prompt. */
  binding?: string;
}

export interface Authorization {
  authorizationUrl: string;
  nonce: string;
}

/** How long a start in progress holds its place under the per-user cap if it never releases it (a crashed process). */
const START_RESERVATION_MS = 2 * 60_000;

/**
 * Starts (or steps up) an authorization: discovery and its checks, scope selection, the attempt cap, the client
 * (pre-registered, CIMD, DCR), PKCE S256 with `resource`, and a single-use state stored hashed with the encrypted
 * verifier and the hashed browser binding. A pending authorization for the same user, server and scopes that still
 * has at least half its life is handed out again instead of starting another (repeated clicks and repeated token
 * requests do not use up attempts). A browser asking (a binding, no challenge) is handed the user's pending
 * authorization for the server first, whatever its scopes, before any discovery: that is how the URL of a broker's
 * prompt (perhaps a step-up) gets bound to the browser that opens it. New starts count against the per-user cap.
 */
export async function beginAuthorization(ctx: OAuthContext, cmd: BeginAuthorization): Promise<Authorization> {
  const serverUrl = canonicalServerUrl(cmd.serverUrl);
  const bindingHash = cmd.binding === undefined ? undefined : hashBinding(cmd.binding);
  if (bindingHash !== undefined && cmd.scope === undefined && cmd.wwwAuthenticate === undefined) {
    const pending = await findAnyPendingState(ctx.db.pool, cmd.userId, serverUrl, halfLifeLeft(ctx), bindingHash);
    const handedOut = await handOut(ctx, pending, bindingHash);
    if (handedOut) return handedOut;
  }
  return withStartReservation(ctx, cmd.userId, () => startNew(ctx, cmd, serverUrl, bindingHash));
}

async function startNew(ctx: OAuthContext, cmd: BeginAuthorization, serverUrl: string, bindingHash: string | undefined): Promise<Authorization> {
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

  const pending = await findPendingState(ctx.db.pool, cmd.userId, serverUrl, key, halfLifeLeft(ctx), bindingHash);
  const handedOut = await handOut(ctx, pending, bindingHash);
  if (handedOut) return handedOut;

  const counted = await countAttempt(ctx.db.pool, cmd.userId, serverUrl, key, ctx.settings.stateTtlMs);
  assertAttemptAllowed(counted.attempts, serverUrl, ctx.settings.stateTtlMs, { windowStartsAt: counted.windowStartsAt, now });

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
    bindingHash: bindingHash ?? null,
    expiresAt: new Date(now.getTime() + ctx.settings.stateTtlMs),
  });
  ctx.logger.info({ userId: cmd.userId, serverUrl, issuer: discovery.issuer, client: client.source, legacy: discovery.legacy, scopes, bound: bindingHash !== undefined }, 'authorization started');
  return { authorizationUrl, nonce };
}

/** A pending state may be handed out again when it stays good for at least half the state lifetime. */
const halfLifeLeft = (ctx: OAuthContext): Date => new Date(ctx.now().getTime() + ctx.settings.stateTtlMs / 2);

/**
 * A pending state handed out again; an unbound one is bound to the asking browser first (undefined when another
 * browser bound it meanwhile: the caller starts a new one).
 */
async function handOut(ctx: OAuthContext, row: StateRow | undefined, bindingHash: string | undefined): Promise<Authorization | undefined> {
  if (!row) return undefined;
  if (bindingHash !== undefined && row.bindingHash === null && !(await bindState(ctx.db.pool, row.stateHash, row.userId, bindingHash))) return undefined;
  return { authorizationUrl: decrypt(ctx, row.authorizationUrlEnc), nonce: row.nonce };
}

/**
 * Runs a new start under the per-user cap (HARNESS_OAUTH_MAX_PENDING_PER_USER): the user's pending states and starts
 * in progress are counted under a per-user lock, and this start holds a place (a reservation row) until it ends, so
 * concurrent starts cannot all slip under the cap. Past it: `rate_limited` with the seconds until a place frees up.
 */
async function withStartReservation<T>(ctx: OAuthContext, userId: string, start: () => Promise<T>): Promise<T> {
  const reservationId = randomUUID();
  await withTransaction(ctx.db.pool, async (tx) => {
    await lockUserStarts(tx, userId);
    const now = ctx.now();
    assertPendingAllowed(await countInFlight(tx, userId, now), ctx.settings.maxPendingPerUser, now);
    await insertReservation(tx, userId, reservationId, new Date(now.getTime() + START_RESERVATION_MS));
  });
  try {
    return await start();
  } finally {
    await releaseStart(ctx.db.pool, userId, reservationId).catch((err: unknown) =>
      ctx.logger.warn({ userId, reason: err instanceof Error ? err.message : String(err) }, 'could not release an authorization start reservation'));
  }
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
