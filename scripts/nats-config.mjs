#!/usr/bin/env node
// Writes a nats-server configuration with one user per Harness service and its subject permissions
// (libs/contracts/src/nats-access.ts; docs/operations.md, "The internal network"). Needs `npm run build` first.
//
//   node scripts/nats-config.mjs [--namespace harness] [--listen HOST:PORT] [--out FILE]
//
// The passwords are not in the file: the server reads each from its environment, NATS_GATEWAY_PASSWORD,
// NATS_CHAT_PASSWORD, NATS_MCP_BROKER_PASSWORD and NATS_AUTH_PASSWORD (give each service the same value as its
// NATS_PASSWORD, and its name as NATS_USER). deploy/nats-server.conf is this script's output for the namespace
// `harness`. `npm start` uses writeDevNatsConfig below for its own nats-server (random passwords, per run).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const contracts = () => import('@harness/contracts');

/** The deployment configuration text: passwords as `$NATS_<SERVICE>_PASSWORD` references. */
export async function deploymentNatsConfig({ namespace = 'harness', listen } = {}) {
  return (await contracts()).deploymentNatsConfig(namespace, listen);
}

/**
 * For `npm start`: writes `file` (mode 600) for a server on `listen` with fresh random passwords and returns
 * {service: {user, password}} for the services' NATS_USER / NATS_PASSWORD.
 */
export async function writeDevNatsConfig({ file, namespace, listen }) {
  const { NATS_SERVICES, natsPermissions, renderNatsServerConfig } = await contracts();
  const perms = natsPermissions(namespace);
  const credentials = Object.fromEntries(NATS_SERVICES.map((s) => [s, { user: s, password: randomBytes(24).toString('base64url') }]));
  const text = renderNatsServerConfig({
    users: NATS_SERVICES.map((s) => ({ ...credentials[s], permissions: perms[s] })),
    listen,
    header: ['Written by `npm start` (scripts/start.mjs) for its own nats-server; new passwords every run.'],
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  return credentials;
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes('--help')) {
    process.stdout.write('usage: node scripts/nats-config.mjs [--namespace harness] [--listen HOST:PORT] [--out FILE]\n');
    return;
  }
  const text = await deploymentNatsConfig({ namespace: opt('--namespace') ?? 'harness', listen: opt('--listen') });
  const out = opt('--out');
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`[nats-config] ${err?.message ?? err}\n`);
    process.exit(1);
  });
}
