import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';

export { PrismaClient, Prisma } from './generated/client.js';
export type * from './generated/models.js';
export { runMigrations, type MigrationResult } from './migrate.js';
export { withTransaction } from './transaction.js';

/**
 * One Postgres pool per process, shared by Prisma (CRUD, projections) and the event store (hot-path SQL).
 */
export interface Database {
  pool: pg.Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function createDatabase(databaseUrl: string, opts: { max?: number; applicationName?: string } = {}): Database {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    application_name: opts.applicationName,
    // A process that hangs inside a transaction must not hold row locks (e.g. a stream another replica takes over) for long.
    idle_in_transaction_session_timeout: 30_000,
  });
  // An idle client that errors (e.g. server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // So must a checked-out one (Prisma's transactions, the event store's appends): a connection that dies between two
  // queries emits 'error' on its client, an uncaught exception without a listener. The query in flight, if any, fails
  // on its own; the pool discards the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    pool,
    prisma,
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
