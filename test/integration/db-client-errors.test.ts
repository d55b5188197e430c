import pg from 'pg';
import { createDatabase, type Database } from '@harness/db';
import { createTestDatabase, waitFor, type TestDatabase } from '@harness/testing';

// A Postgres connection that dies while a client is checked out (e.g. inside Prisma's create-conversation
// transaction, between two statements) must not become an uncaught exception that stops the service.

let testDb: TestDatabase;
let db: Database;
let admin: pg.Client;

beforeAll(async () => {
  testDb = await createTestDatabase('db_errors');
  db = createDatabase(testDb.url, { applicationName: 'db-errors-test' });
  admin = new pg.Client({ connectionString: testDb.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await db?.close();
  await testDb?.drop();
});

it('a checked-out client whose connection is terminated between queries is no uncaught exception, and the pool goes on', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const client = await db.pool.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    // No listener of the test's own on 'error': only the one every pool client gets must catch it.
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    client.release(true);
    // Prisma on the same pool still works: a new connection replaces the dead one.
    await waitFor(async () => (await db.prisma.$queryRaw<{ one: number }[]>`SELECT 1 AS one`)[0]?.one === 1, { timeoutMs: 5_000 });
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
