#!/usr/bin/env node
// Prints a user token (JWT, HS256) for the API: `npm run token -- <userId> [--ttl 30d]`.
// The secret is HARNESS_JWT_SECRET from the environment, else from .harness/dev.env (written by `npm start`).
// Only the token goes to stdout, so `TOKEN=$(npm run -s token -- alice)` works.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEV_ENV_FILE = join(root, '.harness', 'dev.env');
export const USER_ID_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

/** Reads KEY=VALUE lines (blank lines and # comments skipped) of .harness/dev.env; {} when it does not exist. */
export function readDevEnv(file = DEV_ENV_FILE) {
  if (!existsSync(file)) return {};
  const out = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** Signs {sub: userId} with HS256, expiring after ttl (jose time span: '30d', '12h', '15m', '90s'). */
export async function signToken(secret, userId, ttl = '30d') {
  if (!USER_ID_PATTERN.test(userId)) throw new Error(`invalid user id ${JSON.stringify(userId)}: 1..128 of [A-Za-z0-9._@-]`);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}

function parseArgs(argv) {
  let userId;
  let ttl = process.env.DEV_TOKEN_TTL || '30d';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ttl') ttl = argv[++i];
    else if (a.startsWith('--ttl=')) ttl = a.slice('--ttl='.length);
    else if (a === '-h' || a === '--help') return { help: true };
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if (userId === undefined) userId = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!ttl) throw new Error('--ttl needs a value, e.g. --ttl 30d');
  return { userId, ttl };
}

async function main() {
  const usage = 'usage: npm run token -- <userId> [--ttl 30d]';
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stderr.write(`${usage}\n`);
    return;
  }
  if (!args.userId) throw new Error(usage);
  const secret = process.env.HARNESS_JWT_SECRET || readDevEnv().HARNESS_JWT_SECRET;
  if (!secret) {
    throw new Error('HARNESS_JWT_SECRET is not set and .harness/dev.env does not exist: run `npm start` once, or set it');
  }
  let token;
  try {
    token = await signToken(secret, args.userId, args.ttl);
  } catch (err) {
    if (/time period|Invalid time/i.test(err?.message ?? '')) throw new Error(`invalid --ttl ${JSON.stringify(args.ttl)} (e.g. 30d, 12h, 15m)`, { cause: err });
    throw err;
  }
  process.stdout.write(`${token}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`[token] ${err?.message ?? err}\n`);
    process.exit(1);
  });
}
