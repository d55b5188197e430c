import type pg from 'pg';

/**
 * SQL for service-identity tokens (prisma/migrations/20261203152000_mcp_client_credentials). Every query names the
 * user: a server row and its tokens are only ever read for their owner.
 */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** A harness server of `authType: "client_credentials"`, as the gateway stored it (secret or key encrypted). */
export interface ServiceServerRow {
  url: string;
  clientId: string | null;
  clientSecretEnc: string | null;
  privateKeyEnc: string | null;
  /** The authorization server that first accepted these credentials (null until then). */
  clientIssuer: string | null;
}

export interface ServiceTokenRow {
  userId: string;
  serverUrl: string;
  clientId: string;
  issuer: string;
  accessTokenEnc: string;
  tokenType: string;
  scopes: string[];
  expiresAt: Date | null;
  version: number;
}

const TOKEN_COLS = `user_id AS "userId", server_url AS "serverUrl", client_id AS "clientId", issuer, access_token_enc AS "accessTokenEnc",
  token_type AS "tokenType", scopes, expires_at AS "expiresAt", version`;

export async function findServiceServer(db: Queryable, userId: string, serverId: string): Promise<ServiceServerRow | undefined> {
  const { rows } = await db.query<ServiceServerRow>(
    `SELECT url, client_id AS "clientId", client_secret_enc AS "clientSecretEnc", private_key_enc AS "privateKeyEnc", client_issuer AS "clientIssuer"
     FROM mcp_servers WHERE id = $1 AND user_id = $2 AND auth_type = 'client_credentials'`,
    [serverId, userId],
  );
  return rows[0];
}

export async function findServiceToken(db: Queryable, userId: string, serverUrl: string, clientId: string): Promise<ServiceTokenRow | undefined> {
  const { rows } = await db.query<ServiceTokenRow>(
    `SELECT ${TOKEN_COLS} FROM oauth_client_credential_tokens WHERE user_id = $1 AND server_url = $2 AND client_id = $3`,
    [userId, serverUrl, clientId],
  );
  return rows[0];
}

/**
 * Pins the server's credentials to the authorization server that accepted them, unless pinned already or the
 * credentials changed meanwhile (the gateway rewrote the row: the ciphertext differs).
 */
export async function pinServiceIssuer(db: Queryable, userId: string, serverId: string, credentialEnc: string, issuer: string): Promise<void> {
  await db.query(
    `UPDATE mcp_servers SET client_issuer = $3
     WHERE id = $1 AND user_id = $2 AND client_issuer IS NULL AND coalesce(private_key_enc, client_secret_enc) = $4`,
    [serverId, userId, issuer, credentialEnc],
  );
}

/** One token request at a time per (user, server, client) across replicas, until the transaction ends. */
export async function lockServiceToken(tx: Queryable, userId: string, serverUrl: string, clientId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('oauth-cc:' || $1 || ' ' || $2 || ' ' || $3, 0))`, [userId, serverUrl, clientId]);
}

export async function upsertServiceToken(
  db: Queryable,
  t: Omit<ServiceTokenRow, 'version'>,
): Promise<ServiceTokenRow> {
  const { rows } = await db.query<ServiceTokenRow>(
    `INSERT INTO oauth_client_credential_tokens AS t (user_id, server_url, client_id, issuer, access_token_enc, token_type, scopes, expires_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
     ON CONFLICT (user_id, server_url, client_id) DO UPDATE SET
       issuer = EXCLUDED.issuer, access_token_enc = EXCLUDED.access_token_enc, token_type = EXCLUDED.token_type,
       scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at, version = t.version + 1, updated_at = now()
     RETURNING ${TOKEN_COLS}`,
    [t.userId, t.serverUrl, t.clientId, t.issuer, t.accessTokenEnc, t.tokenType, t.scopes, t.expiresAt],
  );
  return rows[0]!;
}

/** A token the server refused and could not be replaced: forgotten (the next call asks the authorization server again). */
export async function deleteServiceToken(db: Queryable, userId: string, serverUrl: string, clientId: string): Promise<void> {
  await db.query(`DELETE FROM oauth_client_credential_tokens WHERE user_id = $1 AND server_url = $2 AND client_id = $3`, [userId, serverUrl, clientId]);
}
