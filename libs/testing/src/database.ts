import { randomBytes } from 'node:crypto';
import { runMigrations, type MigrationResult } from '@harness/db';
import pg from 'pg';
import { migrationsDir as defaultMigrationsDir } from './paths.js';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Its name, `harness_t_<prefix>_<random>`. */
  name: string;
  /** What runMigrations did (applied lists every migration of a new database). */
  migrations: MigrationResult;
  /** Terminates every connection to it, then drops it. Safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Server to create it on: any URL of that server (its database part is replaced). Default: see serverUrl(). */
  serverUrl?: string;
  /** Default `<repo>/prisma/migrations`. */
  migrationsDir?: string;
}

/**
 * The Postgres server tests use: TEST_DATABASE_URL, else DATABASE_URL, else the local default
 * (`postgresql://postgres@127.0.0.1:5432/postgres`). Only its host, port and credentials matter.
 */
export function serverUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** A database name that is unique and valid (lower case, [a-z0-9_], at most 63 bytes). */
export function uniqueDatabaseName(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 30) || 'test';
  return `harness_t_${clean}_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Terminates the connections to `database` and drops it (no error when it does not exist). */
export async function dropDatabase(anyServerUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(anyServerUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
      database,
    ]);
    await admin.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

const NAME_PATTERN = /^harness_t_.*_([0-9a-z]{8})[0-9a-f]{8}$/;
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;
let swept: Promise<void> | undefined;

/**
 * Drops test databases (named by uniqueDatabaseName) created more than 6 hours ago: left behind by a run that was
 * killed or timed out before its drop(). Runs once per process; failures are ignored.
 */
export function sweepStaleTestDatabases(anyServerUrl: string = serverUrl()): Promise<void> {
  swept ??= (async () => {
    const admin = new pg.Client({ connectionString: withDatabase(anyServerUrl, 'postgres') });
    await admin.connect();
    let stale: string[];
    try {
      const rows = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'harness\\_t\\_%'`);
      stale = rows.rows
        .map((r) => r.datname)
        .filter((name) => {
          const ts = NAME_PATTERN.exec(name)?.[1];
          return ts !== undefined && Date.now() - parseInt(ts, 36) > STALE_AFTER_MS;
        });
    } finally {
      await admin.end();
    }
    for (const name of stale) await dropDatabase(anyServerUrl, name).catch(() => undefined);
  })().catch(() => undefined);
  return swept;
}

/**
 * Creates a uniquely named database and applies `<repo>/prisma/migrations` to it with the real runner
 * (`runMigrations` from @harness/db). Call drop() when done (afterAll).
 */
export async function createTestDatabase(prefix = 'test', opts: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = opts.serverUrl ?? serverUrl();
  await sweepStaleTestDatabases(server);
  const name = uniqueDatabaseName(prefix);
  const url = withDatabase(server, name);
  let migrations: MigrationResult;
  try {
    migrations = await runMigrations(url, opts.migrationsDir ?? defaultMigrationsDir);
  } catch (err) {
    await dropDatabase(server, name).catch(() => undefined);
    throw err;
  }
  let dropped: Promise<void> | undefined;
  return {
    url,
    name,
    migrations,
    drop: () => (dropped ??= dropDatabase(server, name)),
  };
}
