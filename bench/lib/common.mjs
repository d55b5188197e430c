// Helpers shared by the bench scripts (bench/*.mjs): options, deadline and exit, statistics, output, gateway calls.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The bench folder (bench/). */
export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The repository root. */
export const repoRoot = join(benchDir, '..');

// ---------- options ----------

/**
 * parseArgs (strict) of `options` plus the ones every bench has (`--deadline-ms`, `--out`, `--help`/`-h`): prints
 * `help` and exits 0 on --help, exits 2 on a bad option.
 */
export function parseOptions(options, help) {
  let values;
  try {
    const common = { 'deadline-ms': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
    values = parseArgs({ options: { ...options, ...common }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${err.message}\n${help}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${help}\n`);
    process.exit(0);
  }
  return values;
}

/** Integer option `--name` (else env variable `env`, else `def`) in min..max; exits 2 when it is not. */
export function intOption(args, name, env, def, min, max) {
  const raw = args[name] ?? process.env[env];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${name} (${env}) must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

/** Where the JSON results go: `--out`, else BENCH_OUT, else bench/results. */
export const outDirOption = (args) => args.out ?? process.env.BENCH_OUT ?? join(benchDir, 'results');

// ---------- deadline, interrupts, exit ----------

/**
 * A deadline of `ms`: `signal` aborts with "deadline of ms ms passed" (the timer does not keep the process up),
 * `abort(reason)` aborts it early, `check()` throws its reason once aborted, `clear()` stops the timer.
 */
export function createDeadline(ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`deadline of ${ms} ms passed`)), ms);
  timer.unref();
  return {
    ms,
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    check() {
      if (controller.signal.aborted) throw controller.signal.reason;
    },
    clear: () => clearTimeout(timer),
  };
}

/** On SIGINT/SIGTERM: `[prefix] SIG: stopping` on stderr and the deadline aborted; returns the function that unhooks both. */
export function abortOnSignals(prefix, deadline) {
  const onSignal = (sig) => {
    process.stderr.write(`[${prefix}] ${sig}: stopping\n`);
    deadline.abort(new Error(`interrupted by ${sig}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

/**
 * Runs main(): exits 0 when it resolves, 1 (the error on stderr as `[prefix] failed: …`) when it rejects, and 1 as a
 * last resort if it is still running (e.g. stopping hangs) 30 s after the deadline.
 */
export function runMain(prefix, main, deadline) {
  const hardStop = setTimeout(() => {
    process.stderr.write(`[${prefix}] hard deadline passed: exiting\n`);
    process.exit(1);
  }, deadline.ms + 30_000);
  hardStop.unref();
  main().then(
    () => {
      deadline.clear();
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`[${prefix}] failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}

// ---------- statistics ----------

/** Linear-interpolated percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** { n, min, p<p> for each of `percentiles` (99.9 → p999), max, mean } of values; NaN figures when empty. */
export function summarize(values, percentiles = [50, 90, 99]) {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  let sum = 0;
  for (const v of s) sum += v;
  const out = { n, min: n ? s[0] : NaN };
  for (const p of percentiles) out[`p${String(p).replace('.', '')}`] = percentile(s, p);
  out.max = n ? s[n - 1] : NaN;
  out.mean = n ? sum / n : NaN;
  return out;
}

/** v rounded to 3 decimals; null when not finite. */
export const round3 = (v) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null);

// ---------- output ----------

/** v with `digits` decimals, or 'n/a' when not finite. */
export const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** A text table: a header row, a rule, the rows; first column left-aligned, the others right-aligned. */
export function table(rows, header) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `N CPU(s) (model), node vX`: the machine, for a bench's first line. */
export const machineLine = () => `${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? '?'}), node ${process.version}`;

/** The first fields of a report's `environment`: node, cpus, cpuModel, logLevel (LOG_LEVEL, default warn). */
export const baseEnvironment = () => ({
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model,
  logLevel: process.env.LOG_LEVEL || 'warn',
});

/**
 * Writes report as 2-space JSON (through `replacer`) to `<outDir>/<name>-<startedAt, ISO with : and . as ->.json`,
 * creating outDir; returns the file's path.
 */
export function writeResults(outDir, name, startedAt, report, replacer) {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, replacer, 2)}\n`);
  return file;
}

// ---------- gateway calls ----------

/**
 * A JSON call to the gateway as `token` (Bearer); aborted by `signal` or after 30 s. Returns the parsed body (null
 * when empty); throws on HTTP ≥ 300 with the status and the body's start.
 */
export async function api(gatewayUrl, token, method, path, body, signal) {
  const res = await fetch(gatewayUrl + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Runs fn(item, index) over items with at most `width` in flight; returns the results in the items' order. */
export async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/**
 * A bench user: a token for `userId` (2 h) from the system and a harness (model sim/echo, a benchmark system prompt,
 * named `name`, plus `extra` fields); returns { userId, token, harnessId }.
 */
export async function createBenchUser(system, userId, name, extra, signal) {
  const token = await system.token(userId, '2h');
  const harness = await api(system.gatewayUrl, token, 'POST', '/v1/harnesses', {
    name,
    model: 'sim/echo',
    systemPrompt: 'You are a benchmark.',
    ...extra,
  }, signal);
  return { userId, token, harnessId: harness.id };
}
