import type pg from 'pg';

/**
 * Runs `fn` in a transaction on a client of its own: COMMIT when it resolves, ROLLBACK when it throws. `begin` may add
 * settings to the BEGIN (e.g. `SET LOCAL …`), sent in the same round trip.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  // A connection that dies while checked out emits 'error' on the client: without a listener, an uncaught exception.
  const onError = () => undefined;
  client.on('error', onError);
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release();
  }
}
