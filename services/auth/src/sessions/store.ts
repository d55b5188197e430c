import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { IdentityProfile, UserProfile } from '@harness/contracts';
import { newUserId } from './user-id.js';

/**
 * The `users`, `user_identities` and `sessions` tables (prisma/migrations/20261203150000_users_sessions), owned by the
 * auth service. Every session query names the user, except the lookups by token hash (the hash is the credential).
 * Tokens never reach this file: sessions are found by the SHA-256 of theirs, ID tokens come in and go out encrypted.
 */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** `last_seen_at` (and the idle expiry that follows it) is written at most once per this interval per session. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

interface UserRow {
  id: string;
  name: string | null;
  email: string | null;
  email_verified: boolean;
  avatar_url: string | null;
}
const USER_COLS = 'id, name, email, email_verified, avatar_url';

export const presentUser = (r: UserRow): UserProfile => ({
  id: r.id, name: r.name, email: r.email, emailVerified: r.email_verified, avatarUrl: r.avatar_url,
});

/**
 * The user of `(providerId, subject)`, created with the identity on its first sign-in; the identity's and the user's
 * profile become `profile` (the user's profile is its latest identity's). Call inside a transaction: a
 * transaction-scoped advisory lock on the identity serializes concurrent first sign-ins, so the second one finds the
 * identity the first created (the primary key would refuse a duplicate anyway, but as an error).
 */
export async function upsertIdentity(
  tx: Queryable,
  k: { providerId: string; subject: string; profile: IdentityProfile; now: Date },
): Promise<{ user: UserRow; created: boolean }> {
  // `:` cannot occur in a provider id (LoginProviderId), so the key is unambiguous.
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('user_identities:' || $1 || ':' || $2, 0))", [k.providerId, k.subject]);
  const p = k.profile;
  const profile = [p.name, p.email, p.emailVerified, p.avatarUrl];
  const { rows: [identity] } = await tx.query<{ user_id: string }>(
    `UPDATE user_identities SET name = $3, email = $4, email_verified = $5, avatar_url = $6, last_sign_in_at = $7
     WHERE provider_id = $1 AND subject = $2 RETURNING user_id`,
    [k.providerId, k.subject, ...profile, k.now],
  );
  if (identity) {
    const { rows: [user] } = await tx.query<UserRow>(
      `UPDATE users SET name = $2, email = $3, email_verified = $4, avatar_url = $5, updated_at = $6 WHERE id = $1 RETURNING ${USER_COLS}`,
      [identity.user_id, ...profile, k.now],
    );
    return { user: user!, created: false };
  }
  const { rows: [user] } = await tx.query<UserRow>(
    `INSERT INTO users (id, name, email, email_verified, avatar_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ${USER_COLS}`,
    [newUserId(), ...profile, k.now],
  );
  await tx.query(
    `INSERT INTO user_identities (provider_id, subject, user_id, name, email, email_verified, avatar_url, created_at, last_sign_in_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
    [k.providerId, k.subject, user!.id, ...profile, k.now],
  );
  return { user: user!, created: true };
}

export interface NewSession {
  userId: string;
  providerId: string;
  tokenHash: string;
  idTokenEnc: string | null;
  userAgent: string | null;
  now: Date;
  idleExpiresAt: Date;
  expiresAt: Date;
}

/**
 * Opens a session, then ends the user's oldest ones beyond `maxPerUser` (never the new one); returns its id and the
 * hashes of the sessions ended. Call inside a transaction: an advisory lock on the user serializes the user's
 * concurrent sign-ins, so the cap holds.
 */
export async function openSession(tx: Queryable, s: NewSession, maxPerUser: number): Promise<{ id: string; evicted: string[] }> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('sessions:' || $1, 0))", [s.userId]);
  const id = randomUUID();
  await tx.query(
    `INSERT INTO sessions (id, token_hash, user_id, provider_id, id_token_enc, user_agent, created_at, last_seen_at, idle_expires_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)`,
    [id, s.tokenHash, s.userId, s.providerId, s.idTokenEnc, s.userAgent, s.now, s.idleExpiresAt, s.expiresAt],
  );
  const { rows } = await tx.query<{ token_hash: string }>(
    `DELETE FROM sessions WHERE id IN (
       SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 ORDER BY created_at DESC, id DESC OFFSET $3
     ) RETURNING token_hash`,
    [s.userId, id, maxPerUser - 1],
  );
  return { id, evicted: rows.map((r) => r.token_hash) };
}

export interface LiveSession {
  id: string;
  providerId: string;
  expiresAt: Date;
  user: UserProfile;
}

/**
 * The session with this hash if within both expiries, with its user. When its `last_seen_at` is older than
 * LAST_SEEN_RESOLUTION_MS, it moves to `now` and the idle expiry to `now + idleMs` (never past the absolute expiry).
 */
export async function touchSession(pool: Queryable, tokenHash: string, now: Date, idleMs: number): Promise<LiveSession | undefined> {
  const { rows: [row] } = await pool.query<UserRow & { session_id: string; provider_id: string; expires_at: Date; last_seen_at: Date }>(
    `SELECT s.id AS session_id, s.provider_id, s.expires_at, s.last_seen_at, u.id, u.name, u.email, u.email_verified, u.avatar_url
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.idle_expires_at > $2`,
    [tokenHash, now],
  );
  if (!row) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    // Conditional: of concurrent verifications (several gateway replicas) at most one writes.
    await pool.query(
      'UPDATE sessions SET last_seen_at = $2, idle_expires_at = LEAST(expires_at, $3) WHERE id = $1 AND last_seen_at <= $4',
      [row.session_id, now, new Date(now.getTime() + idleMs), new Date(now.getTime() - LAST_SEEN_RESOLUTION_MS)],
    );
  }
  return { id: row.session_id, providerId: row.provider_id, expiresAt: row.expires_at, user: presentUser(row) };
}

/** Ends the session with this hash; returns the hashes ended (none when unknown). */
export async function deleteSessionByHash(pool: Queryable, tokenHash: string): Promise<string[]> {
  const { rows } = await pool.query<{ token_hash: string }>('DELETE FROM sessions WHERE token_hash = $1 RETURNING token_hash', [tokenHash]);
  return rows.map((r) => r.token_hash);
}

/** Ends every session of the user (at most HARNESS_SESSIONS_MAX_PER_USER of them). */
export async function deleteUserSessions(pool: Queryable, userId: string): Promise<string[]> {
  const { rows } = await pool.query<{ token_hash: string }>('DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash', [userId]);
  return rows.map((r) => r.token_hash);
}

export async function findIdentityUser(pool: Queryable, providerId: string, subject: string): Promise<string | null> {
  const r = await pool.query<{ user_id: string }>('SELECT user_id FROM user_identities WHERE provider_id = $1 AND subject = $2', [providerId, subject]);
  return r.rows[0]?.user_id ?? null;
}

export async function findUser(pool: Queryable, userId: string): Promise<UserProfile | null> {
  const { rows: [row] } = await pool.query<UserRow>(`SELECT ${USER_COLS} FROM users WHERE id = $1`, [userId]);
  return row ? presentUser(row) : null;
}

/** The encrypted ID token of the user's newest live session of this provider that has one. */
export async function newestIdTokenEnc(pool: Queryable, userId: string, providerId: string, now: Date): Promise<{ sessionId: string; idTokenEnc: string } | undefined> {
  const { rows: [row] } = await pool.query<{ id: string; id_token_enc: string }>(
    `SELECT id, id_token_enc FROM sessions
     WHERE user_id = $1 AND provider_id = $2 AND id_token_enc IS NOT NULL AND expires_at > $3 AND idle_expires_at > $3
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [userId, providerId, now],
  );
  return row ? { sessionId: row.id, idTokenEnc: row.id_token_enc } : undefined;
}

/** Deletes sessions past either expiry, `batch` rows per statement (short statements, short locks); returns how many. */
export async function deleteExpiredSessions(pool: Queryable, now: Date, batch = 1_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE expires_at <= $1 UNION SELECT id FROM sessions WHERE idle_expires_at <= $1 LIMIT $2
       )`,
      [now, batch],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return total;
  }
}
