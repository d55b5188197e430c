#!/usr/bin/env node
// `npm start`: brings the whole system up on this machine.
//   1. dev secrets: .harness/dev.env (created once, outside production) provides HARNESS_JWT_SECRET and
//      HARNESS_ENCRYPTION_KEY and HARNESS_JOB_SIGNING_KEY unless the environment sets them; any other KEY=VALUE there is a default too.
//   2. checks Postgres, NATS and Redis answer (says which does not, and how to start it)
//   3. builds (scripts/build.mjs) and migrates (scripts/migrate.mjs, creates the database if missing)
//   4. LLM: without LLM_API_KEY, starts the built-in LLM simulator and points LLM_BASE_URL at it (with a warning)
//   4b. sign-in: without HARNESS_LOGIN_PROVIDERS and outside production, starts the development OIDC provider
//      (tools/dev-idp, DEV_IDP_PORT, default 4020) with a client for the gateway's callback, as login provider "dev"
//   5. NATS: without NATS_URL, runs its own nats-server (a free loopback port) with one user per service and their
//      permissions (scripts/nats-config.mjs; new random passwords every run, config in .harness/nats/); with
//      NATS_URL, uses that server (and NATS_USER / NATS_PASSWORD when set)
//   6. starts gateway, chat, mcp-broker and auth (`node services/<name>/dist/main.js`), output prefixed by name,
//      waits for GET /readyz and prints the gateway URL
// A service that exits unexpectedly is started again after a short back-off (0.5 s, doubling); one that exits 5 times
// within a minute, or the simulator or NATS exiting, stops everything (exit 1). Ctrl-C / SIGTERM stops every child (SIGTERM, then
// SIGKILL after 5 s). Flags: --json prints the services' JSON log lines as they are.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { migrate } from './migrate.mjs';
import { writeDevNatsConfig } from './nats-config.mjs';
import { DEV_ENV_FILE, readDevEnv } from './token.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = ['gateway', 'chat', 'mcp-broker', 'auth'];
const STOP_GRACE_MS = 5_000;
const OPENROUTER = 'https://openrouter.ai/api/v1';
const LOOPBACK_ALLOWLIST = '127.0.0.0/8,::1,localhost';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const say = (msg) => process.stdout.write(`${paint('1;36', '[start]')} ${msg}\n`);
const warn = (msg) => process.stdout.write(`${paint('1;33', '[start] WARNING:')} ${msg}\n`);
const fail = (msg) => process.stderr.write(`${paint('1;31', '[start] ERROR:')} ${msg}\n`);

// ---------- infrastructure check (also used by scripts/test.mjs) ----------

/** How to start each dependency on this machine (Debian packages; see docs/operations.md). */
export const START_HINTS = {
  Postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  NATS: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  Redis: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
};

function hostPort(url, defaultPort) {
  try {
    const first = url.split(',')[0].trim();
    const u = new URL(first.includes('://') ? first : `tcp://${first}`);
    return { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port) || defaultPort };
  } catch {
    return { host: '127.0.0.1', port: defaultPort };
  }
}

function tcpAnswers(host, port, timeoutMs = 1_500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves with the list of dependencies that do not answer: [{name, host, port, hint}]. `skip`: names not checked. */
export async function checkInfrastructure(env = process.env, skip = []) {
  const deps = [
    { name: 'Postgres', ...hostPort(env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/harness', 5432) },
    { name: 'NATS', ...hostPort(env.NATS_URL || 'nats://127.0.0.1:4222', 4222) },
    { name: 'Redis', ...hostPort(env.REDIS_URL || 'redis://127.0.0.1:6379', 6379) },
  ].filter((d) => !skip.includes(d.name));
  const answers = await Promise.all(deps.map((d) => tcpAnswers(d.host, d.port)));
  return deps.filter((_, i) => !answers[i]).map((d) => ({ ...d, hint: START_HINTS[d.name] }));
}

/** Prints one line per missing dependency with the command that starts it. */
export function reportMissing(missing, print = fail) {
  for (const m of missing) {
    print(`${m.name} does not answer on ${m.host}:${m.port}. Start it with:\n    ${m.hint}`);
  }
  print('(or set DATABASE_URL / NATS_URL / REDIS_URL to where they run; see docs/operations.md)');
}

// ---------- dev secrets ----------

function loadSecrets(env) {
  const production = env.NODE_ENV === 'production';
  const fileValues = production ? {} : readDevEnv();
  // Every KEY=VALUE of .harness/dev.env is a default; the real environment wins.
  for (const [k, v] of Object.entries(fileValues)) if (env[k] === undefined || env[k] === '') env[k] = v;
  if (production) {
    const missing = ['HARNESS_JWT_SECRET', 'HARNESS_ENCRYPTION_KEY', 'HARNESS_JOB_SIGNING_KEY'].filter((k) => !env[k]);
    if (missing.length) throw new Error(`${missing.join(', ')} must be set in production (NODE_ENV=production)`);
    return { generatedJwt: false };
  }
  const generated = {};
  if (!env.HARNESS_JWT_SECRET) generated.HARNESS_JWT_SECRET = randomBytes(32).toString('base64url');
  if (!env.HARNESS_ENCRYPTION_KEY) generated.HARNESS_ENCRYPTION_KEY = randomBytes(32).toString('hex');
  // chat signs each tool call with it and the mcp-broker checks it: both must have the same one.
  if (!env.HARNESS_JOB_SIGNING_KEY) generated.HARNESS_JOB_SIGNING_KEY = randomBytes(32).toString('base64url');
  if (Object.keys(generated).length === 0) return { generatedJwt: false };

  const all = { ...fileValues, ...generated };
  mkdirSync(dirname(DEV_ENV_FILE), { recursive: true });
  const lines = [
    '# Development secrets, generated by `npm start` (scripts/start.mjs). Not for production.',
    '# Variables set in the environment take precedence over these. Any other KEY=VALUE here is a default too.',
    ...Object.entries(all).map(([k, v]) => `${k}=${v}`),
    '',
  ];
  writeFileSync(DEV_ENV_FILE, lines.join('\n'), { mode: 0o600 });
  chmodSync(DEV_ENV_FILE, 0o600);
  Object.assign(env, generated);
  if (generated.HARNESS_ENCRYPTION_KEY) say(`generated HARNESS_ENCRYPTION_KEY, saved in ${rel(DEV_ENV_FILE)}`);
  if (generated.HARNESS_JOB_SIGNING_KEY) say(`generated HARNESS_JOB_SIGNING_KEY, saved in ${rel(DEV_ENV_FILE)}`);
  if (generated.HARNESS_JWT_SECRET) {
    say(`generated HARNESS_JWT_SECRET (saved in ${rel(DEV_ENV_FILE)}; shown this once):`);
    process.stdout.write(`\n    HARNESS_JWT_SECRET=${generated.HARNESS_JWT_SECRET}\n\n`);
    say('get a user token with:  npm run token -- alice');
  }
  return { generatedJwt: Boolean(generated.HARNESS_JWT_SECRET) };
}

const rel = (p) => p.replace(`${root}/`, '');

// ---------- children ----------

/** Only chat (signs tool calls) and the mcp-broker (checks them) get the job signing key. */
const JOB_SIGNING_SERVICES = new Set(['chat', 'mcp-broker']);

function envOf(name, env) {
  if (JOB_SIGNING_SERVICES.has(name)) return env;
  const { HARNESS_JOB_SIGNING_KEY: _key, ...rest } = env;
  return rest;
}

const children = new Map(); // name → {child, exited: Promise<code>}
let shuttingDown = false;

const PAD = Math.max(...[...SERVICES, 'llm-sim', 'dev-idp', 'nats'].map((s) => s.length));
const COLORS = { gateway: '32', chat: '35', 'mcp-broker': '34', auth: '33', 'llm-sim': '36', 'dev-idp': '36', nats: '90' };
const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLORS = { 40: '33', 50: '31', 60: '1;31' };
const rawJson = process.argv.includes('--json');

/** A pino JSON line as `HH:MM:SS LEVEL msg key=value…`; anything else as it is. */
function pretty(line) {
  if (rawJson || !line.startsWith('{')) return line;
  let o;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof o !== 'object' || o === null) return line;
  const { level, time, msg, pid: _pid, hostname: _h, service: _s, name: _n, ...rest } = o;
  const t = typeof time === 'string' ? time.slice(11, 19) : typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const lvl = LEVELS[level] ?? (typeof level === 'string' ? level.toUpperCase() : '');
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const head = [t, lvl ? paint(LEVEL_COLORS[level] ?? '2', lvl.padEnd(5)) : ''].filter(Boolean).join(' ');
  return `${head} ${msg ?? ''}${extra ? ` ${paint('2', extra)}` : ''}`;
}

/** A Harness service that exits unexpectedly is started again (like compose's `restart: unless-stopped`), at most this often. */
const RESTARTS_PER_MINUTE = 5;
const restarts = new Map(); // name → timestamps of recent restarts

/** The delay before restarting `name` again, or undefined when it keeps dying (then everything stops). */
export function nextRestartDelayMs(history, now = Date.now()) {
  const recent = history.filter((t) => now - t < 60_000);
  if (recent.length >= RESTARTS_PER_MINUTE) return undefined;
  return Math.min(8_000, 500 * 2 ** recent.length);
}

function startChild(name, args, env, command = process.execPath) {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = paint(COLORS[name] ?? '37', `${name.padEnd(PAD)} │`);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => process.stdout.write(`${prefix} ${pretty(line)}\n`));
  }
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      fail(`${name}: ${err.message}`);
      resolve({ code: 1, signal: null });
    });
  });
  children.set(name, { child, exited });
  exited.then(({ code, signal }) => {
    children.delete(name);
    // Ctrl-C reaches the children too; give our own signal handler a moment to mark the shutdown.
    setTimeout(() => {
      if (shuttingDown) return;
      const history = restarts.get(name) ?? [];
      const delay = SERVICES.includes(name) ? nextRestartDelayMs(history) : undefined;
      if (delay === undefined) {
        fail(`${name} exited unexpectedly (${signal ?? `code ${code}`})${SERVICES.includes(name) ? `, ${RESTARTS_PER_MINUTE} times within a minute` : ''}: stopping everything`);
        void shutdown(1);
        return;
      }
      warn(`${name} exited unexpectedly (${signal ?? `code ${code}`}): starting it again in ${delay} ms`);
      restarts.set(name, [...history.filter((t) => Date.now() - t < 60_000), Date.now()]);
      setTimeout(() => {
        if (!shuttingDown) startChild(name, args, env, command);
      }, delay);
    }, 300);
  });
  return { child, exited };
}

async function stopChild(name, { child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    warn(`${name} did not stop within ${STOP_GRACE_MS / 1000} s: SIGKILL`);
    child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (children.size) say(`stopping ${[...children.keys()].join(', ')}…`);
  // Services first, then the LLM simulator (a run in progress may still be talking to it), NATS last.
  const services = [...children.entries()].filter(([n]) => n !== 'llm-sim' && n !== 'nats');
  await Promise.all(services.map(([n, c]) => stopChild(n, c)));
  for (const name of ['llm-sim', 'nats']) {
    const c = children.get(name);
    if (c) await stopChild(name, c);
  }
  say(code === 0 ? 'stopped' : 'stopped (after an error)');
  process.exit(code);
}

process.on('exit', () => {
  for (const { child } of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

// ---------- helpers ----------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHttp(url, { timeoutMs, expect = (res) => res.ok, abortWhen = () => false }) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (abortWhen()) return { ok: false, last };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      last = `${res.status} ${body.slice(0, 500)}`;
      if (expect(res)) return { ok: true, last };
    } catch (err) {
      last = `no answer (${err?.cause?.code ?? err?.message ?? err})`;
    }
    await sleep(250);
  }
  return { ok: false, last };
}

/** The nats-server binary (HARNESS_NATS_SERVER_BIN, `nats-server` on PATH, Debian's /usr/sbin/nats-server), or undefined. */
function findNatsServer(env) {
  const dirs = (env.PATH ?? '').split(':').filter(Boolean);
  for (const c of [env.HARNESS_NATS_SERVER_BIN, ...dirs.map((d) => join(d, 'nats-server')), '/usr/sbin/nats-server']) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs nats-server with a fresh per-service config; returns {url, credentials: {service: {user, password}}}. */
async function startOwnNats(binary, env) {
  const port = await freePort();
  const file = join(root, '.harness', 'nats', 'nats-server.conf');
  const credentials = await writeDevNatsConfig({ file, namespace: env.HARNESS_NATS_NAMESPACE || 'harness', listen: `127.0.0.1:${port}` });
  startChild('nats', ['-c', file], env, binary);
  const deadline = Date.now() + 15_000;
  while (!(await tcpAnswers('127.0.0.1', port, 500))) {
    if (shuttingDown || Date.now() > deadline) throw new Error(`nats-server did not answer on 127.0.0.1:${port}`);
    await sleep(100);
  }
  say(`NATS: own nats-server on nats://127.0.0.1:${port}, one user per service (${rel(file)})`);
  return { url: `nats://127.0.0.1:${port}`, credentials };
}

function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

// ---------- main ----------

/**
 * The outbound allowlist `npm start` sets when the environment sets none: loopback outside production (the simulator,
 * local MCP and OAuth test servers), nothing in production — there the SSRF guard stays whole unless the operator
 * names exceptions in HARNESS_OUTBOUND_ALLOWLIST. Undefined: leave the variable as it is.
 */
export function defaultOutboundAllowlist(env) {
  if (env.HARNESS_OUTBOUND_ALLOWLIST !== undefined || env.NODE_ENV === 'production') return undefined;
  return LOOPBACK_ALLOWLIST;
}

/** True when `npm start` runs the dev IdP: no login provider configured, outside production (there config refuses to start). */
export function needsDevIdp(env) {
  return env.NODE_ENV !== 'production' && !(env.HARNESS_LOGIN_PROVIDERS ?? '').trim();
}

/**
 * The dev IdP's one client (the gateway; a new secret every run) and the gateway's login provider for it. `dev: true`
 * marks it for libs/config, which refuses it in production.
 */
export function devIdpSetup({ issuer, publicUrl, gatewayPort, clientSecret }) {
  const redirectUris = [...new Set([publicUrl, `http://127.0.0.1:${gatewayPort}`, `http://localhost:${gatewayPort}`].map((base) => `${base.replace(/\/$/, '')}/auth/callback/dev`))];
  return {
    clients: [{ clientId: 'harness-dev', clientSecret, redirectUris, tokenEndpointAuthMethod: 'client_secret_basic' }],
    providers: [{ id: 'dev', type: 'oidc', name: 'Dev', issuer, clientId: 'harness-dev', clientSecret, dev: true }],
  };
}

async function main() {
  const env = { ...process.env };
  say('Harness: starting the whole system (Ctrl-C stops it)');

  loadSecrets(env);
  env.DATABASE_URL ||= 'postgresql://postgres@127.0.0.1:5432/harness';
  const allowlist = defaultOutboundAllowlist(env);
  if (allowlist !== undefined) env.HARNESS_OUTBOUND_ALLOWLIST = allowlist;
  else if (env.HARNESS_OUTBOUND_ALLOWLIST === undefined) say('production: the outbound guard allows no private or loopback address (HARNESS_OUTBOUND_ALLOWLIST is not set)');
  const gatewayPort = Number(env.GATEWAY_PORT || 3000);

  // No NATS_URL: a nats-server of our own with per-service users (the production permissions).
  const natsBinary = env.NATS_URL ? undefined : findNatsServer(env);
  if (!env.NATS_URL && !natsBinary) warn('nats-server is not installed: using nats://127.0.0.1:4222 without credentials (any local process can act as any service)');
  const missing = await checkInfrastructure(env, natsBinary ? ['NATS'] : []);
  if (missing.length) {
    reportMissing(missing);
    process.exit(1);
  }

  say('building (scripts/build.mjs)…');
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { cwd: root, env, stdio: 'inherit' });
  if (build.status !== 0) {
    fail('the build failed (see above)');
    process.exit(1);
  }

  await migrate(env.DATABASE_URL, (line) => say(line.replace(/^\[migrate\] /, 'migrate: ')));

  if (!(await portFree(gatewayPort))) {
    fail(`port ${gatewayPort} is already in use (another \`npm start\`?). Stop it or set GATEWAY_PORT.`);
    process.exit(1);
  }

  for (const name of SERVICES) {
    const main = join(root, 'services', name, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${rel(main)} is missing after the build (does services/${name}/src/main.ts exist?)`);
  }

  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  if (!env.LLM_API_KEY) {
    const simPort = Number(env.LLM_SIMULATOR_PORT || 4010);
    const simMain = join(root, 'tools/llm-simulator/dist/main.js');
    if (!existsSync(simMain)) throw new Error(`${rel(simMain)} is missing after the build`);
    startChild('llm-sim', [simMain], { ...envOf('llm-sim', env), LLM_SIMULATOR_PORT: String(simPort) });
    const health = await waitHttp(`http://127.0.0.1:${simPort}/__sim/health`, { timeoutMs: 15_000, abortWhen: () => shuttingDown });
    if (!health.ok) throw new Error(`the LLM simulator did not answer on port ${simPort}: ${health.last}`);
    env.LLM_BASE_URL = `http://127.0.0.1:${simPort}/v1`;
    env.LLM_API_KEY = 'sim';
    // The simulator speaks OpenRouter's extensions (cost in usage, generation stats after an interrupt).
    env.LLM_OPENROUTER_EXTENSIONS ||= 'true';
    warn(`LLM_API_KEY is not set: using the built-in LLM simulator at ${env.LLM_BASE_URL} (simulated answers).`);
    warn('Set LLM_API_KEY (and LLM_BASE_URL, default OpenRouter) to talk to a real model.');
  } else {
    env.LLM_BASE_URL ||= OPENROUTER;
    say(`LLM: ${env.LLM_BASE_URL} (LLM_API_KEY is set)`);
  }

  const serviceEnv = { gateway: {} };
  if (needsDevIdp(env)) {
    const idpPort = Number(env.DEV_IDP_PORT || 4020);
    const idpMain = join(root, 'tools/dev-idp/dist/main.js');
    if (!existsSync(idpMain)) throw new Error(`${rel(idpMain)} is missing after the build`);
    const issuer = `http://127.0.0.1:${idpPort}`;
    const publicUrl = env.PUBLIC_URL || `http://localhost:${gatewayPort}`;
    const setup = devIdpSetup({ issuer, publicUrl, gatewayPort, clientSecret: randomBytes(24).toString('base64url') });
    startChild('dev-idp', [idpMain], { ...envOf('dev-idp', env), DEV_IDP_PORT: String(idpPort), DEV_IDP_HOST: '127.0.0.1', DEV_IDP_CLIENTS: JSON.stringify(setup.clients) });
    const discovery = await waitHttp(`${issuer}/.well-known/openid-configuration`, { timeoutMs: 15_000, abortWhen: () => shuttingDown });
    if (!discovery.ok) throw new Error(`the dev IdP did not answer on port ${idpPort}: ${discovery.last}`);
    // The gateway alone gets the provider (and its client secret).
    serviceEnv.gateway.HARNESS_LOGIN_PROVIDERS = JSON.stringify(setup.providers);
    warn(`HARNESS_LOGIN_PROVIDERS is not set: sign-in uses the development IdP at ${issuer} (any username, no password; development only).`);
  }
  if (natsBinary) {
    const nats = await startOwnNats(natsBinary, env);
    env.NATS_URL = nats.url;
    for (const name of SERVICES) serviceEnv[name] = { ...serviceEnv[name], NATS_USER: nats.credentials[name].user, NATS_PASSWORD: nats.credentials[name].password };
  } else if (!env.NATS_USER) {
    say(`NATS: ${env.NATS_URL || 'nats://127.0.0.1:4222'} without credentials`);
  }

  for (const name of SERVICES) startChild(name, [join(root, 'services', name, 'dist', 'main.js')], { ...envOf(name, env), ...serviceEnv[name] });

  const base = `http://127.0.0.1:${gatewayPort}`;
  const timeoutMs = Number(env.HARNESS_START_TIMEOUT_MS || 120_000);
  say(`waiting for ${base}/readyz…`);
  const ready = await waitHttp(`${base}/readyz`, { timeoutMs, expect: (res) => res.status === 200, abortWhen: () => shuttingDown });
  if (shuttingDown) return;
  if (!ready.ok) {
    fail(`not ready after ${timeoutMs / 1000} s; last GET /readyz: ${ready.last}`);
    await shutdown(1);
    return;
  }
  const publicUrl = env.PUBLIC_URL || `http://localhost:${gatewayPort}`;
  say(paint('1;32', `Harness is up: open ${publicUrl} in a browser`) + `  (healthz ${publicUrl}/healthz, readyz ${publicUrl}/readyz)`);
  if (serviceEnv.gateway.HARNESS_LOGIN_PROVIDERS) say('sign in with "Dev" and any username (development identity provider, no password)');
  say('token for a user:  npm run token -- alice     then:  curl -H "Authorization: Bearer $TOKEN" ' + `${publicUrl}/v1/harnesses`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch(async (err) => {
    fail(err?.message ?? String(err));
    if (err?.code === 'ECONNREFUSED') fail('a dependency refused the connection: is Postgres running?');
    await shutdown(1);
  });
}
