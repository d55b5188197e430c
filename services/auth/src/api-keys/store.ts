import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { decodeCursor, DomainError, encodeCursor, type ApiKeySummary } from '@harness/contracts';
import { withTransaction } from '@harness/db';

/**
 * The `api_keys` table (owned by the auth service; the gateway never reads it). Every query names the user, except the
 * lookup by hash (a verification: the hash is the credential).
 */
export interface ApiKeySettings {
  maxPerUser: number;
}

/** `lastUsedAt` is written at most once per this interval per key (not a write per request). */
export const LAST_USED_RESOLUTION_MS = 60_000;

interface Row {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

const present = (r: Row): ApiKeySummary => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  expiresAt: r.expires_at?.toISOString() ?? null,
});

/**
 * Inserts a key unless the user has `maxPerUser` already. A transaction-scoped advisory lock on the user serializes
 * concurrent creates of one user, so they cannot all pass the count.
 */
export async function insertKey(
  pool: pg.Pool,
  k: { userId: string; name: string; keyHash: string; prefix: string; expiresAt: Date | null; now: Date },
  settings: ApiKeySettings,
): Promise<Row> {
  return withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('api_keys:' || $1, 0))", [k.userId]);
    const { rows: [{ count }] } = await client.query<{ count: string }>('SELECT count(*) FROM api_keys WHERE user_id = $1', [k.userId]);
    if (Number(count) >= settings.maxPerUser) {
      // Only deleting a key frees a place; the header tells a program not to retry at once.
      throw new DomainError('rate_limited', `You have ${count} API keys, the most allowed is ${settings.maxPerUser}. Delete one you no longer use.`, {
        limit: 'api_keys', max: settings.maxPerUser, retryAfterSeconds: 60,
      });
    }
    const { rows: [row] } = await client.query<Row>(
      `INSERT INTO api_keys (id, user_id, name, key_hash, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id, name, prefix, created_at, last_used_at, expires_at`,
      [randomUUID(), k.userId, k.name, k.keyHash, k.prefix, k.now, k.expiresAt],
    );
    return row;
  });
}

/** Newest first, keyset-paginated on (created_at, id); the cursor is that pair as base64url JSON. */
export async function listKeys(pool: pg.Pool, userId: string, limit: number, cursor: string | undefined): Promise<{ items: ApiKeySummary[]; nextCursor: string | null }> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const { rows } = await pool.query<Row>(
    `SELECT id, name, prefix, created_at, last_used_at, expires_at FROM api_keys
     WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [userId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(present), nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null };
}

/** Deletes the user's key; returns its hash, or undefined when the user has no key with this id. */
export async function deleteKey(pool: pg.Pool, userId: string, id: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ key_hash: string }>('DELETE FROM api_keys WHERE user_id = $1 AND id = $2 RETURNING key_hash', [userId, id]);
  return rows[0]?.key_hash;
}

/** The unexpired key with this hash; its `last_used_at` is moved to `now` when older than LAST_USED_RESOLUTION_MS. */
export async function useKey(pool: pg.Pool, keyHash: string, now: Date): Promise<{ id: string; userId: string; expiresAt: Date | null } | undefined> {
  const { rows } = await pool.query<{ id: string; user_id: string; expires_at: Date | null; last_used_at: Date | null }>(
    'SELECT id, user_id, expires_at, last_used_at FROM api_keys WHERE key_hash = $1 AND (expires_at IS NULL OR expires_at > $2)',
    [keyHash, now],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional: of concurrent verifications (several gateway replicas) at most one writes.
    await pool.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)', [
      row.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS),
    ]);
  }
  return { id: row.id, userId: row.user_id, expiresAt: row.expires_at };
}

