#!/usr/bin/env node
// Applies prisma/migrations to DATABASE_URL (creating the database if missing): `npm run migrate`.
// Uses the built runner libs/db/dist/migrate.js (run `npm run build` first; `npm start` does both).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/harness';

/** The URL without its password, for printing. */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

export async function migrate(databaseUrl = process.env.DATABASE_URL || DEFAULT_URL, print = (l) => console.log(l)) {
  const runner = join(root, 'libs/db/dist/migrate.js');
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run \`npm run build\` first`);
  const { runMigrations } = await import(pathToFileURL(runner).href);
  const result = await runMigrations(databaseUrl, join(root, 'prisma/migrations'));
  print(`[migrate] ${redactUrl(databaseUrl)}${result.created ? ' (database created)' : ''}`);
  for (const name of result.applied) print(`[migrate] applied ${name}`);
  if (result.applied.length === 0) print(`[migrate] up to date (${result.alreadyApplied.length} already applied)`);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  migrate().catch((err) => {
    console.error(`[migrate] FAILED: ${err?.message ?? err}`);
    if (err?.code === 'ECONNREFUSED') {
      console.error('[migrate] Postgres does not answer: start it (see docs/operations.md) or set DATABASE_URL');
    }
    process.exit(1);
  });
}
