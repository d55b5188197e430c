import type pg from 'pg';
import type { AuthServerMetadata } from './discovery.js';

/**
 * SQL for the MCP OAuth tables (prisma/migrations/20261127100000_mcp_oauth). Raw SQL on the shared pool: the refresh
 * needs `SELECT … FOR UPDATE` inside a transaction. Every query on a per-user table names `user_id`; secrets are
 * passed in and out encrypted (the callers hold the keyring).
 */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface ClientRow {
  issuer: string;
  clientId: string;
  clientSecretEnc: string | null;
  tokenEndpointAuthMethod: string | null;
  source: 'preregistered' | 'cimd' | 'dcr';
}

export interface StateRow {
  stateHash: string;
  userId: string;
  serverUrl: string;
  resource: string | null;
  expectedIssuer: string;
  authServerUrl: string;
  authMetadata: AuthServerMetadata | null;
  clientId: string;
  codeVerifierEnc: string;
  authorizationUrlEnc: string;
  scopes: string[];
  scopeKey: string;
  nonce: string;
  redirectUri: string;
  /** sha256 of the browser binding the callback must carry; null until a start with a binding hands the state out. */
  bindingHash: string | null;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface ConnectionRow {
  userId: string;
  serverUrl: string;
  resource: string;
  /** The `resource` sent to the authorization server (null on the 2025-03-26 path). */
  resourceIndicator: string | null;
  issuer: string;
  authServerUrl: string;
  authMetadata: AuthServerMetadata | null;
  clientId: string;
  accessTokenEnc: string;
  refreshTokenEnc: string | null;
  tokenType: string;
  scopes: string[];
  expiresAt: Date | null;
  status: 'connected' | 'expired' | 'error';
  version: number;
  updatedAt: Date;
}

const CLIENT_COLS = `issuer, client_id AS "clientId", client_secret_enc AS "clientSecretEnc",
  token_endpoint_auth_method AS "tokenEndpointAuthMethod", source`;
const STATE_COLS = `state_hash AS "stateHash", user_id AS "userId", server_url AS "serverUrl", resource,
  expected_issuer AS "expectedIssuer", auth_server_url AS "authServerUrl", auth_metadata AS "authMetadata",
  client_id AS "clientId", code_verifier_enc AS "codeVerifierEnc", authorization_url_enc AS "authorizationUrlEnc",
  scopes, scope_key AS "scopeKey", nonce, redirect_uri AS "redirectUri", binding_hash AS "bindingHash", expires_at AS "expiresAt", used_at AS "usedAt"`;
const CONNECTION_COLS = `user_id AS "userId", server_url AS "serverUrl", resource, resource_indicator AS "resourceIndicator", issuer, auth_server_url AS "authServerUrl",
  auth_metadata AS "authMetadata", client_id AS "clientId", access_token_enc AS "accessTokenEnc",
  refresh_token_enc AS "refreshTokenEnc", token_type AS "tokenType", scopes, expires_at AS "expiresAt", status, version,
  updated_at AS "updatedAt"`;

// ---- clients (per issuer; not per user) ----

export async function findClient(db: Queryable, issuer: string): Promise<ClientRow | undefined> {
  const { rows } = await db.query<ClientRow>(`SELECT ${CLIENT_COLS} FROM oauth_clients WHERE issuer = $1`, [issuer]);
  return rows[0];
}

/** Stores a client for an issuer unless one is there already (two replicas registering at once: the first wins). */
export async function insertClient(db: Queryable, c: ClientRow & { registration: unknown }): Promise<ClientRow> {
  await db.query(
    `INSERT INTO oauth_clients (issuer, client_id, client_secret_enc, token_endpoint_auth_method, source, registration)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (issuer) DO NOTHING`,
    [c.issuer, c.clientId, c.clientSecretEnc, c.tokenEndpointAuthMethod, c.source, c.registration === undefined ? null : JSON.stringify(c.registration)],
  );
  return (await findClient(db, c.issuer))!;
}

/** Forgets a registration the authorization server no longer accepts (invalid_client), so the next start registers again. */
export async function deleteClient(db: Queryable, issuer: string, clientId: string): Promise<void> {
  await db.query(`DELETE FROM oauth_clients WHERE issuer = $1 AND client_id = $2 AND source <> 'preregistered'`, [issuer, clientId]);
}

// ---- states ----

export async function insertState(db: Queryable, s: Omit<StateRow, 'usedAt'>): Promise<void> {
  await db.query(
    `INSERT INTO oauth_states (state_hash, user_id, server_url, resource, expected_issuer, auth_server_url, auth_metadata,
       client_id, code_verifier_enc, authorization_url_enc, scopes, scope_key, nonce, redirect_uri, expires_at, binding_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      s.stateHash, s.userId, s.serverUrl, s.resource, s.expectedIssuer, s.authServerUrl, s.authMetadata === null ? null : JSON.stringify(s.authMetadata),
      s.clientId, s.codeVerifierEnc, s.authorizationUrlEnc, s.scopes, s.scopeKey, s.nonce, s.redirectUri, s.expiresAt, s.bindingHash,
    ],
  );
}

/**
 * Which pending states a start may hand out again: a start with a browser binding only unbound ones or its own (never
 * another browser's: its callback would be refused there); the broker (no binding) any of the user's.
 */
function bindingFilter(bindingHash: string | undefined, param: number): string {
  return bindingHash === undefined ? `AND $${param}::text IS NULL` : `AND (binding_hash IS NULL OR binding_hash = $${param})`;
}

/** A pending authorization of this user for this server and scope set that is still good until `validUntil`. */
export async function findPendingState(db: Queryable, userId: string, serverUrl: string, key: string, validUntil: Date, bindingHash?: string): Promise<StateRow | undefined> {
  const { rows } = await db.query<StateRow>(
    `SELECT ${STATE_COLS} FROM oauth_states
     WHERE user_id = $1 AND server_url = $2 AND scope_key = $3 AND used_at IS NULL AND expires_at > $4 ${bindingFilter(bindingHash, 5)}
     ORDER BY expires_at DESC LIMIT 1`,
    [userId, serverUrl, key, validUntil, bindingHash ?? null],
  );
  return rows[0];
}

/** Any pending authorization of (user, server) valid until at least `validUntil`, whatever its scopes. */
export async function findAnyPendingState(db: Queryable, userId: string, serverUrl: string, validUntil: Date, bindingHash?: string): Promise<StateRow | undefined> {
  const { rows } = await db.query<StateRow>(
    `SELECT ${STATE_COLS} FROM oauth_states
     WHERE user_id = $1 AND server_url = $2 AND used_at IS NULL AND expires_at > $3 ${bindingFilter(bindingHash, 4)}
     ORDER BY expires_at DESC LIMIT 1`,
    [userId, serverUrl, validUntil, bindingHash ?? null],
  );
  return rows[0];
}

/**
 * Binds an unbound pending state to a browser. False when it was bound (or used) meanwhile: two browsers of the user
 * asking at once, the first wins.
 */
export async function bindState(db: Queryable, stateHash: string, userId: string, bindingHash: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE oauth_states SET binding_hash = $3 WHERE state_hash = $1 AND user_id = $2 AND binding_hash IS NULL AND used_at IS NULL`,
    [stateHash, userId, bindingHash],
  );
  return (rowCount ?? 0) > 0;
}

/** Locks the state row for the callback (the state hash is the callback's only key: it names the user). */
export async function lockState(db: Queryable, stateHash: string): Promise<StateRow | undefined> {
  const { rows } = await db.query<StateRow>(`SELECT ${STATE_COLS} FROM oauth_states WHERE state_hash = $1 FOR UPDATE`, [stateHash]);
  return rows[0];
}

export async function markStateUsed(db: Queryable, stateHash: string, userId: string): Promise<void> {
  await db.query(`UPDATE oauth_states SET used_at = now() WHERE state_hash = $1 AND user_id = $2`, [stateHash, userId]);
}

/** Old states are of no use (expired a day ago): removed now and then, with reservations left by a crashed start. */
export async function deleteOldStates(db: Queryable, before: Date): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM oauth_states WHERE expires_at < $1`, [before]);
  await db.query(`DELETE FROM oauth_start_reservations WHERE expires_at < $1`, [before]);
  return rowCount ?? 0;
}

// ---- starts in progress (per-user cap on pending authorizations) ----

/** Serialises the starts of one user until the transaction ends (so concurrent starts are counted one after the other). */
export async function lockUserStarts(tx: Queryable, userId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('oauth-start:' || $1, 0))`, [userId]);
}

/** The user's authorizations in flight: pending states and starts in progress, and when the first of them runs out. */
export async function countInFlight(db: Queryable, userId: string, now: Date): Promise<{ count: number; freeAt: Date | null }> {
  const { rows } = await db.query<{ count: string; freeAt: Date | null }>(
    `SELECT count(*) AS count, min(expires_at) AS "freeAt" FROM (
       SELECT expires_at FROM oauth_states WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2
       UNION ALL
       SELECT expires_at FROM oauth_start_reservations WHERE user_id = $1 AND expires_at > $2
     ) AS in_flight`,
    [userId, now],
  );
  return { count: Number(rows[0]!.count), freeAt: rows[0]!.freeAt };
}

export async function insertReservation(db: Queryable, userId: string, reservationId: string, expiresAt: Date): Promise<void> {
  await db.query(`INSERT INTO oauth_start_reservations (id, user_id, expires_at) VALUES ($1, $2, $3)`, [reservationId, userId, expiresAt]);
}

export async function releaseStart(db: Queryable, userId: string, reservationId: string): Promise<void> {
  await db.query(`DELETE FROM oauth_start_reservations WHERE id = $1 AND user_id = $2`, [reservationId, userId]);
}

// ---- attempts (step-up cap) ----

/** Counts one more authorization for (user, server, scope set) in a window of `windowMs`; returns the count and the window's start. */
export async function countAttempt(db: Queryable, userId: string, serverUrl: string, key: string, windowMs: number): Promise<{ attempts: number; windowStartsAt: Date }> {
  const { rows } = await db.query<{ attempts: number; windowStartsAt: Date }>(
    `INSERT INTO oauth_authorization_attempts AS a (user_id, server_url, scope_key, attempts, window_starts_at)
     VALUES ($1, $2, $3, 1, now())
     ON CONFLICT (user_id, server_url, scope_key) DO UPDATE SET
       attempts = CASE WHEN a.window_starts_at <= now() - make_interval(secs => $4::double precision / 1000) THEN 1 ELSE a.attempts + 1 END,
       window_starts_at = CASE WHEN a.window_starts_at <= now() - make_interval(secs => $4::double precision / 1000) THEN now() ELSE a.window_starts_at END
     RETURNING attempts, window_starts_at AS "windowStartsAt"`,
    [userId, serverUrl, key, windowMs],
  );
  return rows[0];
}

/** The scopes asked for were granted: that scope set's authorizations no longer count towards the cap. */
export async function clearAttemptsFor(db: Queryable, userId: string, serverUrl: string, scopeKey: string): Promise<void> {
  await db.query(`DELETE FROM oauth_authorization_attempts WHERE user_id = $1 AND server_url = $2 AND scope_key = $3`, [userId, serverUrl, scopeKey]);
}

export async function clearAttempts(db: Queryable, userId: string, serverUrl: string): Promise<void> {
  await db.query(`DELETE FROM oauth_authorization_attempts WHERE user_id = $1 AND server_url = $2`, [userId, serverUrl]);
}

// ---- connections ----

export async function findConnection(db: Queryable, userId: string, serverUrl: string, forUpdate = false): Promise<ConnectionRow | undefined> {
  const { rows } = await db.query<ConnectionRow>(
    `SELECT ${CONNECTION_COLS} FROM oauth_connections WHERE user_id = $1 AND server_url = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [userId, serverUrl],
  );
  return rows[0];
}

export interface NewTokens {
  accessTokenEnc: string;
  refreshTokenEnc: string | null;
  tokenType: string;
  scopes: string[];
  expiresAt: Date | null;
}

/** A completed authorization: the connection is (re)written with the new tokens, version moved on. */
export async function upsertConnection(
  db: Queryable,
  c: Omit<ConnectionRow, 'version' | 'status' | 'updatedAt'>,
): Promise<ConnectionRow> {
  const { rows } = await db.query<ConnectionRow>(
    `INSERT INTO oauth_connections AS c (user_id, server_url, resource, issuer, auth_server_url, auth_metadata, client_id,
       access_token_enc, refresh_token_enc, token_type, scopes, expires_at, resource_indicator, status, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'connected', 1)
     ON CONFLICT (user_id, server_url) DO UPDATE SET
       resource = EXCLUDED.resource, resource_indicator = EXCLUDED.resource_indicator, issuer = EXCLUDED.issuer, auth_server_url = EXCLUDED.auth_server_url,
       auth_metadata = EXCLUDED.auth_metadata, client_id = EXCLUDED.client_id, access_token_enc = EXCLUDED.access_token_enc,
       refresh_token_enc = EXCLUDED.refresh_token_enc, token_type = EXCLUDED.token_type, scopes = EXCLUDED.scopes,
       expires_at = EXCLUDED.expires_at, status = 'connected', version = c.version + 1, updated_at = now()
     RETURNING ${CONNECTION_COLS}`,
    [
      c.userId, c.serverUrl, c.resource, c.issuer, c.authServerUrl, c.authMetadata === null ? null : JSON.stringify(c.authMetadata), c.clientId,
      c.accessTokenEnc, c.refreshTokenEnc, c.tokenType, c.scopes, c.expiresAt, c.resourceIndicator,
    ],
  );
  return rows[0];
}

/**
 * Stores refreshed tokens if the row is still at `expectedVersion` (compare-and-swap; the caller holds the row lock,
 * so this is a second line of defence). Returns the new row, or undefined when another writer got there first.
 */
export async function swapTokens(db: Queryable, userId: string, serverUrl: string, expectedVersion: number, t: NewTokens): Promise<ConnectionRow | undefined> {
  const { rows } = await db.query<ConnectionRow>(
    `UPDATE oauth_connections SET access_token_enc = $4, refresh_token_enc = $5, token_type = $6, scopes = $7, expires_at = $8,
       status = 'connected', version = version + 1, updated_at = now()
     WHERE user_id = $1 AND server_url = $2 AND version = $3
     RETURNING ${CONNECTION_COLS}`,
    [userId, serverUrl, expectedVersion, t.accessTokenEnc, t.refreshTokenEnc, t.tokenType, t.scopes, t.expiresAt],
  );
  return rows[0];
}

/**
 * Rewrites the same tokens under the current key (key rotation), only if the row is still at `expectedVersion`; the
 * version does not move (the tokens did not change).
 */
export async function reencryptTokens(db: Queryable, userId: string, serverUrl: string, expectedVersion: number, accessTokenEnc: string, refreshTokenEnc: string | null): Promise<void> {
  await db.query(
    `UPDATE oauth_connections SET access_token_enc = $4, refresh_token_enc = $5
     WHERE user_id = $1 AND server_url = $2 AND version = $3`,
    [userId, serverUrl, expectedVersion, accessTokenEnc, refreshTokenEnc],
  );
}

/** Marks the connection expired (or error) without deleting it: the status shows it and the user reconnects. */
export async function setConnectionStatus(db: Queryable, userId: string, serverUrl: string, expectedVersion: number, status: 'expired' | 'error'): Promise<void> {
  await db.query(
    `UPDATE oauth_connections SET status = $4, version = version + 1, updated_at = now()
     WHERE user_id = $1 AND server_url = $2 AND version = $3`,
    [userId, serverUrl, expectedVersion, status],
  );
}

export async function deleteConnection(db: Queryable, userId: string, serverUrl: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM oauth_connections WHERE user_id = $1 AND server_url = $2`, [userId, serverUrl]);
  return (rowCount ?? 0) > 0;
}
