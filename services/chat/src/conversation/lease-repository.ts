import type pg from 'pg';

/**
 * Run leases: at most one chat replica owns a conversation at a time. Every acquisition increments the fencing token;
 * appends carry it, so a replica that lost its lease cannot write (see EventStore.append).
 */
export class LeaseRepository {
  constructor(private readonly pool: pg.Pool, private readonly ttlMs: number) {}

  /**
   * In one round trip: whether the conversation exists and is the user's, and if so the fencing token when this replica
   * now owns it (the lease was free, expired, or already ours), else null (another replica holds it).
   */
  async tryAcquire(conversationId: string, owner: string, userId: string): Promise<{ visible: boolean; token: bigint | null }> {
    const r = await this.pool.query<{ visible: boolean; fencing_token: string | null }>(
      `WITH visible AS (SELECT 1 FROM conversations WHERE id = $1 AND user_id = $4 AND deleted_at IS NULL),
       acquired AS (
         INSERT INTO run_leases (conversation_id, owner, fencing_token, expires_at)
         SELECT $1, $2, 1, now() + make_interval(secs => $3::double precision / 1000) WHERE EXISTS (SELECT 1 FROM visible)
         ON CONFLICT (conversation_id) DO UPDATE
           SET owner = EXCLUDED.owner, fencing_token = run_leases.fencing_token + 1, expires_at = EXCLUDED.expires_at
           WHERE run_leases.expires_at < now() OR run_leases.owner = EXCLUDED.owner
         RETURNING fencing_token)
       SELECT EXISTS (SELECT 1 FROM visible) AS visible, (SELECT fencing_token FROM acquired) AS fencing_token`,
      [conversationId, owner, this.ttlMs, userId],
    );
    const row = r.rows[0];
    return { visible: row.visible, token: row.fencing_token === null ? null : BigInt(row.fencing_token) };
  }

  /** False when the lease was taken over (the caller must stop writing). */
  async renew(conversationId: string, owner: string, token: bigint): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE run_leases SET expires_at = now() + make_interval(secs => $4::double precision / 1000)
       WHERE conversation_id = $1 AND owner = $2 AND fencing_token = $3`,
      [conversationId, owner, token.toString(), this.ttlMs],
    );
    return r.rowCount === 1;
  }

  async release(conversationId: string, owner: string, token: bigint): Promise<void> {
    await this.pool.query('UPDATE run_leases SET expires_at = now() - interval \'1 second\' WHERE conversation_id = $1 AND owner = $2 AND fencing_token = $3', [
      conversationId, owner, token.toString(),
    ]);
  }

  /** Conversations that need an owner and have none: a run left active or a queue left waiting by a replica that died. */
  async orphans(limit: number): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>(
      `SELECT c.id FROM conversations c LEFT JOIN run_leases l ON l.conversation_id = c.id
       WHERE c.deleted_at IS NULL
         AND (c.active_run_id IS NOT NULL OR EXISTS (SELECT 1 FROM queue_item_views q WHERE q.conversation_id = c.id))
         AND (l.conversation_id IS NULL OR l.expires_at < now())
       LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => x.id);
  }
}
