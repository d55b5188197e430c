import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '@harness/db';
import { createTestDatabase, dropDatabase, migrationsDir, serverUrl, uniqueDatabaseName, withDatabase, type TestDatabase } from '@harness/testing';
import pg from 'pg';

// The migration runner against a real Postgres: it records migrations in _prisma_migrations exactly like
// `prisma migrate deploy` (same table, sha256 checksum of migration.sql), is idempotent, refuses edited
// migrations and creates the database when missing.

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function migrationNames(): Promise<string[]> {
  return (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

describe('runMigrations', () => {
  let db: TestDatabase;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    db = await createTestDatabase('migrations');
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await db?.drop();
  });

  it('applies every migration, the init one included, to a new database', async () => {
    const names = await migrationNames();
    expect(names).toContain('20261127000000_init');
    expect(db.migrations.created).toBe(true);
    expect(db.migrations.applied).toEqual(names);
    expect(db.migrations.alreadyApplied).toEqual([]);

    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'streams', 'events', 'harnesses', 'conversations', 'message_views']),
    );
  });

  it('records each migration in _prisma_migrations with the sha256 of its migration.sql', async () => {
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
      id: string;
    }>(db.url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    const names = await migrationNames();
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      const sql = await readFile(join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('applies nothing when run again', async () => {
    const again = await runMigrations(db.url, migrationsDir);
    expect(again).toEqual({ created: false, applied: [], alreadyApplied: await migrationNames() });
    const [{ count }] = await query<{ count: string }>(db.url, 'SELECT count(*) FROM "_prisma_migrations"');
    expect(Number(count)).toBe((await migrationNames()).length);
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'harness-migrations-'));
    cleanups.push(() => rm(copy, { recursive: true, force: true }));
    await cp(migrationsDir, copy, { recursive: true });
    await appendFile(join(copy, '20261127000000_init', 'migration.sql'), '\n-- edited after being applied\n');

    await expect(runMigrations(db.url, copy)).rejects.toThrow(/20261127000000_init.*changed/);
    // Nothing was recorded or re-run.
    const rows = await query<{ migration_name: string }>(db.url, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(rows).toHaveLength((await migrationNames()).length);
  });

  it('applies a new migration added after the first run, and only that one', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'harness-migrations-'));
    cleanups.push(() => rm(copy, { recursive: true, force: true }));
    await cp(migrationsDir, copy, { recursive: true });
    await mkdir(join(copy, '29991231000000_probe'));
    await writeFile(join(copy, '29991231000000_probe', 'migration.sql'), 'CREATE TABLE "migration_probe" ("id" INTEGER PRIMARY KEY);\n');

    const result = await runMigrations(db.url, copy);
    expect(result.applied).toEqual(['29991231000000_probe']);
    expect(result.alreadyApplied).toEqual(await migrationNames());
  });

  it('rolls back a failing migration and records nothing for it', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'harness-migrations-'));
    cleanups.push(() => rm(copy, { recursive: true, force: true }));
    await cp(migrationsDir, copy, { recursive: true });
    await mkdir(join(copy, '29991231000001_broken'));
    await writeFile(
      join(copy, '29991231000001_broken', 'migration.sql'),
      'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT * FROM "no_such_table";\n',
    );

    await expect(runMigrations(db.url, copy)).rejects.toThrow(/29991231000001_broken failed/);
    const half = await query(db.url, `SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(half).toHaveLength(0);
    const recorded = await query(db.url, `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29991231000001_broken'`);
    expect(recorded).toHaveLength(0);
  });

  it('creates the database when it does not exist', async () => {
    const name = uniqueDatabaseName('created');
    const url = withDatabase(serverUrl(), name);
    cleanups.push(() => dropDatabase(serverUrl(), name));
    const before = await query(withDatabase(serverUrl(), 'postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    expect(before).toHaveLength(0);

    const result = await runMigrations(url, migrationsDir);
    expect(result.created).toBe(true);
    expect(result.applied).toEqual(await migrationNames());
    const after = await query(withDatabase(serverUrl(), 'postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    expect(after).toHaveLength(1);
  });

  it('serialises concurrent runners: each migration is applied once', async () => {
    const name = uniqueDatabaseName('concurrent');
    const url = withDatabase(serverUrl(), name);
    cleanups.push(() => dropDatabase(serverUrl(), name));
    // The database exists already: this checks the advisory lock around applying, not CREATE DATABASE races.
    await query(withDatabase(serverUrl(), 'postgres'), `CREATE DATABASE "${name}"`);
    const results = await Promise.all([runMigrations(url, migrationsDir), runMigrations(url, migrationsDir), runMigrations(url, migrationsDir)]);
    const names = await migrationNames();
    expect(results.flatMap((r) => r.applied).sort()).toEqual(names);
    const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(rows).toHaveLength(names.length);
  });

  it('drop() removes the test database even with open connections', async () => {
    const extra = await createTestDatabase('dropcheck');
    const client = new pg.Client({ connectionString: extra.url });
    await client.connect();
    client.on('error', () => undefined);
    await extra.drop();
    const left = await query(withDatabase(serverUrl(), 'postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [extra.name]);
    expect(left).toHaveLength(0);
    await client.end().catch(() => undefined);
  });
});
