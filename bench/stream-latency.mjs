#!/usr/bin/env node
// Stream latency benchmark: what Harness adds to an LLM stream, measured side by side with the LLM alone.
//
//   node scripts/build.mjs && npm run bench [-- --concurrency 1,50 --tokens 100 --rate 50 --rounds 3]
//
// For each concurrency C, in rounds that alternate the two phases (so background noise hits both):
//   direct  : C concurrent streaming chat completions straight to the LLM simulator;
//   Harness : C concurrent `POST /v1/conversations/:id/messages` (Accept: text/event-stream) through the gateway and
//             the chat service, one conversation (and user) per stream, created beforehand.
// Both ask for the same scenario `{"text":N,"tokensPerSecond":R,"stamp":true}`: every text token carries the time the
// simulator wrote it, so each token's one-way latency is (receive time − stamp). The simulator runs in this process,
// so the stamps and the receive times come from the same clock (performance.timeOrigin + performance.now()).
//
// It is a measurement, not a test: it exits 0 whether or not the targets are met, non-zero only on errors (the system
// could not start, a deadline passed, a request failed outright).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setMaxListeners } from 'node:events';
import { createParser } from 'eventsource-parser';
import { startSystem } from '@harness/testing';
import {
  abortOnSignals,
  api,
  baseEnvironment,
  createBenchUser,
  createDeadline,
  fmt,
  intOption,
  machineLine,
  outDirOption,
  parseOptions,
  pool,
  repoRoot,
  round3,
  runMain,
  summarize,
  table,
  writeResults,
} from './lib/common.mjs';

const now = () => performance.timeOrigin + performance.now();

// ---------- options ----------

const HELP = `Usage: npm run bench -- [options]   (each option also reads an env variable)
  --concurrency LIST   concurrent streams, comma list          BENCH_CONCURRENCY   default 1,50
  --tokens N           text tokens per stream                  BENCH_TOKENS        default 100
  --rate R             tokens per second per stream            BENCH_RATE          default 50
  --rounds K           rounds at concurrency 1                 BENCH_ROUNDS        default 3
  --rounds-multi K     rounds at concurrency > 1               BENCH_ROUNDS_MULTI  default 2
  --settle-ms MS       pause between phases                    BENCH_SETTLE_MS     default 500
  --deadline-ms MS     abort everything after this             BENCH_DEADLINE_MS   default 300000
  --out DIR            where the JSON results go               BENCH_OUT           default bench/results
  --service-env K=V    extra environment for the services (repeatable), e.g. CHAT_FLUSH_INTERVAL_MS=50
  --raw                also write every stream's timings and per-token latencies to the JSON
Services log at LOG_LEVEL (default warn).`;

const args = parseOptions(
  {
    concurrency: { type: 'string' },
    tokens: { type: 'string' },
    rate: { type: 'string' },
    rounds: { type: 'string' },
    'rounds-multi': { type: 'string' },
    'settle-ms': { type: 'string' },
    raw: { type: 'boolean' },
    'service-env': { type: 'string', multiple: true },
  },
  HELP,
);

const rawConcurrency = args.concurrency ?? process.env.BENCH_CONCURRENCY ?? '1,50';
const concurrencies = [...new Set(rawConcurrency.split(',').map((s) => Number(s.trim())))];
if (!concurrencies.length || concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 1000)) {
  process.stderr.write(`--concurrency must be a comma list of integers in 1..1000, got ${JSON.stringify(rawConcurrency)}\n`);
  process.exit(2);
}
const opts = {
  concurrencies,
  tokens: intOption(args, 'tokens', 'BENCH_TOKENS', 100, 1, 100_000),
  rate: intOption(args, 'rate', 'BENCH_RATE', 50, 0, 100_000),
  rounds: intOption(args, 'rounds', 'BENCH_ROUNDS', 3, 1, 1000),
  roundsMulti: intOption(args, 'rounds-multi', 'BENCH_ROUNDS_MULTI', 2, 1, 1000),
  settleMs: intOption(args, 'settle-ms', 'BENCH_SETTLE_MS', 500, 0, 60_000),
  deadlineMs: intOption(args, 'deadline-ms', 'BENCH_DEADLINE_MS', 300_000, 1_000, 3_600_000),
  outDir: outDirOption(args),
  raw: args.raw === true,
  serviceEnv: Object.fromEntries(
    (args['service-env'] ?? []).map((kv) => {
      const i = kv.indexOf('=');
      if (i < 1) {
        process.stderr.write(`--service-env expects KEY=VALUE, got ${JSON.stringify(kv)}\n`);
        process.exit(2);
      }
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  ),
};

const TARGETS = {
  addedTtftP50: 10,
  addedTtftP99: 40,
  addedChunkP50: 1,
  addedChunkP99: 5,
  ttftAtConcurrency: 50,
};

// ---------- deadline ----------

const deadline = createDeadline(opts.deadlineMs);
setMaxListeners(0, deadline.signal); // every stream's signal listens to it
const checkDeadline = deadline.check;

const sleep = (ms) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    deadline.signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

// ---------- statistics ----------

/** The percentiles of every summary: p50, p90, p99, p999. */
const PERCENTILES = [50, 90, 99, 99.9];
const roundObj = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round3(v) : v]));

// ---------- /proc sampling ----------

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every common Linux
}

/** user+sys CPU ms of a process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

/**
 * Main-thread scheduler figures of a process, from /proc/<pid>/task/<pid>/schedstat: ms on a CPU and ms spent runnable
 * but waiting for a CPU (run-queue wait; for Node the main thread is the event loop).
 */
function schedMs(pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { run: run / 1e6, wait: wait / 1e6 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

/** Busy and total CPU ms of the whole machine (all cores), from /proc/stat. */
function machineCpuMs() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3] + f[4];
    return { busy: ((total - idle) * 1000) / clockTicks, total: (total * 1000) / clockTicks };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/**
 * CPU ms of the shared infrastructure, per process: Postgres backends serving the bench database, other Postgres
 * processes (its background writers, and other users of the same server), nats-server, redis-server.
 */
function infraCpu(dbName, natsPort) {
  const out = new Map();
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let comm;
    let cmdline;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm !== 'postgres' && comm !== 'nats-server' && comm !== 'redis-server') continue;
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    let group;
    if (comm === 'postgres') group = cmdline.includes(` ${dbName} `) ? 'postgres (bench db backends)' : 'postgres (other processes)';
    else if (comm === 'redis-server') group = 'redis-server';
    else {
      const port = /-p\s+(\d+)/.exec(cmdline)?.[1] ?? /--port[=\s]+(\d+)/.exec(cmdline)?.[1] ?? '4222';
      if (port !== String(natsPort)) continue;
      group = 'nats-server';
    }
    const ms = cpuMs(pid);
    if (Number.isFinite(ms)) out.set(`${group}\t${pid}`, ms);
  }
  return out;
}

const INFRA_GROUPS = ['postgres (bench db backends)', 'postgres (other processes)', 'nats-server', 'redis-server'];

/** Per group: CPU ms spent between two infraCpu() snapshots (a process born in between counts from 0). */
function infraDelta(before, after) {
  const sums = Object.fromEntries(INFRA_GROUPS.map((g) => [g, 0]));
  for (const [key, ms] of after) {
    const group = key.split('\t')[0];
    sums[group] += ms - (before.get(key) ?? 0);
  }
  return sums;
}

/** VmRSS and VmHWM in MiB, from /proc/<pid>/status. */
function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** Samples VmRSS of every watched process every 100 ms; keeps the peak per named window and overall. */
class RssSampler {
  constructor(pids) {
    this.pids = pids; // name -> pid
    this.window = null;
    this.peaks = new Map(); // window -> name -> MiB
    this.overall = {};
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  sample() {
    for (const [name, pid] of Object.entries(this.pids)) {
      const { rss } = memory(pid);
      if (!Number.isFinite(rss)) continue;
      this.overall[name] = Math.max(this.overall[name] ?? 0, rss);
      if (this.window) {
        const w = this.peaks.get(this.window) ?? {};
        w[name] = Math.max(w[name] ?? 0, rss);
        this.peaks.set(this.window, w);
      }
    }
  }

  open(window) {
    this.window = window;
    this.sample();
  }

  close() {
    this.sample();
    this.window = null;
  }

  peak(window) {
    return this.peaks.get(window) ?? {};
  }

  stop() {
    clearInterval(this.timer);
  }
}

// ---------- SSE over fetch ----------

/**
 * Reads an SSE response with eventsource-parser; calls onEvent(event, receivedAt) where receivedAt is the time the
 * network read that completed the event returned (one timestamp per read, taken before any parsing).
 */
async function readSse(res, onEvent) {
  let receivedAt = 0;
  let stop = false;
  const parser = createParser({
    onEvent: (ev) => {
      if (!stop && onEvent(ev, receivedAt) === false) stop = true;
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      receivedAt = now();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (stop) break;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

const STAMP = /~(\d+(?:\.\d+)?)~/g;

function newStreamResult() {
  return {
    t0: 0,
    tHeaders: NaN,
    tFirstEvent: NaN,
    tStart: NaN,
    ttft: NaN,
    /** stamp of the first token − t0: the time until the LLM emitted it. */
    toFirstEmit: NaN,
    latencies: [],
    tokens: 0,
    textChunks: 0,
    inOrder: true,
    idsInOrder: true,
    finished: false,
    error: null,
  };
}

/** Feeds the stamps of one text delta into a stream result. */
function takeStamps(r, delta, receivedAt, lastStamp) {
  let last = lastStamp;
  STAMP.lastIndex = 0;
  for (let m = STAMP.exec(delta); m; m = STAMP.exec(delta)) {
    const stamp = Number(m[1]);
    if (r.tokens === 0) {
      r.ttft = receivedAt - r.t0;
      r.toFirstEmit = stamp - r.t0;
    }
    if (stamp < last) r.inOrder = false; // equal is fine: a catch-up burst writes several tokens in one microsecond
    last = stamp;
    r.latencies.push(receivedAt - stamp);
    r.tokens++;
  }
  return last;
}

function scenarioContent(label, tokens, rate) {
  return `${label}\n@sim ${JSON.stringify({ text: tokens, tokensPerSecond: rate, stamp: true })}`;
}

function streamSignal(tokens, rate) {
  const expectedMs = rate > 0 ? (tokens * 1000) / rate : 0;
  return AbortSignal.any([deadline.signal, AbortSignal.timeout(expectedMs + 30_000)]);
}

/** One streaming chat completion straight to the simulator. */
async function directStream(simUrl, label, tokens, rate) {
  const r = newStreamResult();
  try {
    const body = JSON.stringify({
      model: 'sim/echo',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: scenarioContent(label, tokens, rate) }],
    });
    r.t0 = now();
    const res = await fetch(`${simUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer bench' },
      body,
      signal: streamSignal(tokens, rate),
    });
    r.tHeaders = now() - r.t0;
    if (res.status !== 200) throw new Error(`simulator answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    let lastStamp = -Infinity;
    await readSse(res, (ev, at) => {
      if (Number.isNaN(r.tFirstEvent)) r.tFirstEvent = at - r.t0;
      if (ev.data === '[DONE]') {
        r.finished = true;
        return false;
      }
      const chunk = JSON.parse(ev.data);
      if (chunk.error) throw new Error(`simulator stream error: ${JSON.stringify(chunk.error)}`);
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) {
        r.textChunks++;
        lastStamp = takeStamps(r, delta, at, lastStamp);
      }
      return true;
    });
  } catch (err) {
    r.error = err?.message ?? String(err);
  }
  return r;
}

/** One message sent through Harness, its run streamed back as SSE. */
async function harnessStream(gatewayUrl, stream, tokens, rate) {
  const r = newStreamResult();
  try {
    const body = JSON.stringify({ content: scenarioContent(stream.label, tokens, rate) });
    r.t0 = now();
    const res = await fetch(`${gatewayUrl}/v1/conversations/${stream.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${stream.token}` },
      body,
      signal: streamSignal(tokens, rate),
    });
    r.tHeaders = now() - r.t0;
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      throw new Error(`gateway answered HTTP ${res.status} ${res.headers.get('content-type')}: ${(await res.text()).slice(0, 300)}`);
    }
    let lastStamp = -Infinity;
    let lastId = -Infinity;
    await readSse(res, (ev, at) => {
      if (Number.isNaN(r.tFirstEvent)) r.tFirstEvent = at - r.t0;
      const id = Number(ev.id);
      if (!Number.isInteger(id) || id <= lastId) r.idsInOrder = false;
      lastId = id;
      const chunk = JSON.parse(ev.data);
      switch (chunk.type) {
        case 'start':
          r.tStart = at - r.t0;
          break;
        case 'text-delta':
          r.textChunks++;
          lastStamp = takeStamps(r, chunk.delta, at, lastStamp);
          break;
        case 'finish':
          r.finished = true;
          return false;
        case 'abort':
        case 'error':
          throw new Error(`run ended with ${chunk.type}: ${JSON.stringify(chunk)}`);
      }
      return true;
    });
  } catch (err) {
    r.error = err?.message ?? String(err);
  }
  return r;
}

// ---------- Harness setup ----------

/** One user (with a harness) per stream slot. */
async function createUsers(system, count) {
  return pool(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    return createBenchUser(system, `bench-user-${i}`, `bench ${i}`, {}, deadline.signal);
  });
}

/** A fresh conversation for each of the first `count` users. */
async function createConversations(system, users, count, label) {
  return pool(users.slice(0, count), 8, async (u, i) => {
    const conv = await api(system.gatewayUrl, u.token, 'POST', '/v1/conversations', { harnessId: u.harnessId, title: label }, deadline.signal);
    return { label: `${label} stream ${i}`, token: u.token, conversationId: conv.id };
  });
}

// ---------- phases ----------

function rawStreams(results) {
  const r2 = (v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
  return results.map((r) => ({
    ttft: r2(r.ttft),
    toFirstEmit: r2(r.toFirstEmit),
    headers: r2(r.tHeaders),
    start: r2(r.tStart),
    tokens: r.tokens,
    error: r.error,
    latencies: r.latencies.map(r2),
  }));
}

function phaseSummary(results, tokens) {
  const ok = results.filter((r) => !r.error);
  const latencies = [];
  for (const r of results) for (const l of r.latencies) latencies.push(l);
  const sent = results.length * tokens;
  const delivered = results.reduce((n, r) => n + r.tokens, 0);
  return {
    streams: results.length,
    failed: results.length - ok.length,
    errors: [...new Set(results.filter((r) => r.error).map((r) => r.error))].slice(0, 5),
    ttft: summarize(results.filter((r) => Number.isFinite(r.ttft)).map((r) => r.ttft), PERCENTILES),
    toFirstEmit: summarize(results.filter((r) => Number.isFinite(r.toFirstEmit)).map((r) => r.toFirstEmit), PERCENTILES),
    headers: summarize(results.filter((r) => Number.isFinite(r.tHeaders)).map((r) => r.tHeaders), PERCENTILES),
    firstEvent: summarize(results.filter((r) => Number.isFinite(r.tFirstEvent)).map((r) => r.tFirstEvent), PERCENTILES),
    start: summarize(results.filter((r) => Number.isFinite(r.tStart)).map((r) => r.tStart), PERCENTILES),
    chunk: summarize(latencies, PERCENTILES),
    sent,
    delivered,
    textChunks: results.reduce((n, r) => n + r.textChunks, 0),
    complete: results.every((r) => r.tokens === tokens && r.textChunks === tokens && r.finished && !r.error),
    inOrder: results.every((r) => r.inOrder && r.idsInOrder),
  };
}

const eld = monitorEventLoopDelay({ resolution: 1 });

async function runPhase(kind, c, ctx) {
  checkDeadline();
  const { system, simUrl, tokens, rate, conversations, label } = ctx;
  eld.reset();
  eld.enable();
  const benchCpu0 = process.cpuUsage();
  const wall0 = now();
  let results;
  if (kind === 'direct') {
    results = await Promise.all(Array.from({ length: c }, (_, i) => directStream(simUrl, `${label} stream ${i}`, tokens, rate)));
  } else {
    results = await Promise.all(conversations.map((s) => harnessStream(system.gatewayUrl, s, tokens, rate)));
  }
  const wallMs = now() - wall0;
  const cpu = process.cpuUsage(benchCpu0);
  eld.disable();
  checkDeadline();
  return {
    results,
    wallMs,
    benchCpuMs: (cpu.user + cpu.system) / 1000,
    eventLoopDelay: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
  };
}

// ---------- output ----------

const pair = (a, b, digits = 2) => `${fmt(a, digits)} / ${fmt(b, digits)}`;

function printReport(report) {
  const levels = report.levels;
  const head = ['ms (p50 / p99)', ...levels.map((l) => `c=${l.concurrency}`)];
  const col = (f) => levels.map(f);
  const rows = [
    ['TTFT direct', ...col((l) => pair(l.direct.ttft.p50, l.direct.ttft.p99))],
    ['TTFT Harness', ...col((l) => pair(l.harness.ttft.p50, l.harness.ttft.p99))],
    ['TTFT added (Harness - direct)', ...col((l) => pair(l.added.ttft.p50, l.added.ttft.p99))],
    ['  Harness: headers', ...col((l) => pair(l.harness.headers.p50, l.harness.headers.p99))],
    ['  Harness: `start` event', ...col((l) => pair(l.harness.start.p50, l.harness.start.p99))],
    ['  first token emitted (direct)', ...col((l) => pair(l.direct.toFirstEmit.p50, l.direct.toFirstEmit.p99))],
    ['  first token emitted (Harness)', ...col((l) => pair(l.harness.toFirstEmit.p50, l.harness.toFirstEmit.p99))],
    ['per-chunk direct', ...col((l) => pair(l.direct.chunk.p50, l.direct.chunk.p99, 3))],
    ['per-chunk Harness', ...col((l) => pair(l.harness.chunk.p50, l.harness.chunk.p99, 3))],
    ['per-chunk added (Harness - direct)', ...col((l) => pair(l.added.chunk.p50, l.added.chunk.p99, 3))],
    ['per-chunk Harness max', ...col((l) => fmt(l.harness.chunk.max, 3))],
    ['delivered/sent direct', ...col((l) => `${l.direct.delivered}/${l.direct.sent}`)],
    ['delivered/sent Harness', ...col((l) => `${l.harness.delivered}/${l.harness.sent}`)],
    ['in order, none lost direct', ...col((l) => (l.direct.complete && l.direct.inOrder ? 'yes' : 'NO'))],
    ['in order, none lost Harness', ...col((l) => (l.harness.complete && l.harness.inOrder ? 'yes' : 'NO'))],
    ['samples: streams / chunks (each)', ...col((l) => `${l.harness.streams} / ${l.harness.chunk.n}`)],
    ['bench event-loop delay p99 D/H', ...col((l) => pair(l.direct.eventLoopDelayP99, l.harness.eventLoopDelayP99))],
  ];
  process.stdout.write(`\n${table(rows, head)}\n`);

  const resHead = ['Harness phase: CPU ms (% of a core) | peak RSS MiB | run-queue wait ms', ...levels.map((l) => `c=${l.concurrency}`)];
  const resRows = [];
  for (const name of [...SERVICES, 'bench']) {
    resRows.push([
      name === 'bench' ? 'bench (simulator + clients)' : name,
      ...col((l) => {
        const p = l.resources[name];
        return `${fmt(p.cpuMs, 0)} (${fmt(p.cpuPctCore, 1)}%) | ${fmt(p.peakRssMiB, 1)} | ${fmt(p.mainThreadRunQueueWaitMs, 0)}`;
      }),
    ]);
  }
  for (const g of Object.keys(levels[0].infrastructure)) {
    resRows.push([g, ...col((l) => `${fmt(l.infrastructure[g].cpuMs, 0)} (${fmt(l.infrastructure[g].cpuPctCore, 1)}%) | -`)]);
  }
  resRows.push(['bench in direct phase (for comparison)', ...col((l) => `${fmt(l.directBenchCpuMs, 0)} (${fmt(l.directBenchCpuPctCore, 1)}%) | -`)]);
  resRows.push(['machine in direct phase (for comparison)', ...col((l) => `${fmt(l.directMachineCpuPctCore, 1)}% | -`)]);
  resRows.push(['Harness phase wall time, ms', ...col((l) => fmt(l.harnessWallMs, 0))]);
  process.stdout.write(`\n${table(resRows, resHead)}\n`);
  process.stdout.write(
    `VmHWM at the end (MiB): ${Object.entries(report.vmHwmMiB).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}\n`,
  );

  process.stdout.write('\nTargets\n');
  for (const t of report.targets) {
    process.stdout.write(`  [${t.met ? 'met' : 'MISSED'}] ${t.name}: ${t.measured} (target ${t.target})\n`);
  }
  process.stdout.write(
    `\nNotes: the LLM simulator runs inside this bench process, with the clients of both phases, so "bench" CPU includes ` +
      `both; the stamps and the receive times share its clock. Added = Harness percentile − direct percentile. ` +
      `TTFT = request start → first text token received. Per-chunk = receive time − emission stamp of every token. ` +
      `Run-queue wait = time the process's main thread was runnable but had no CPU (from schedstat): a sign the machine is saturated. ` +
      `Postgres/NATS/Redis and "machine" rows are shared with anything else running on this machine.\n`,
  );
}

// ---------- main ----------

const SERVICES = ['gateway', 'chat', 'mcp-broker', 'auth'];

async function main() {
  const startedAt = new Date();
  process.stdout.write(
    `[bench] stream latency: concurrency ${opts.concurrencies.join(',')}, ${opts.tokens} tokens at ${opts.rate} tokens/s per stream, ` +
      `${opts.rounds} round(s) at c=1 and ${opts.roundsMulti} at c>1, LOG_LEVEL=${process.env.LOG_LEVEL || 'warn'}, ` +
      (Object.keys(opts.serviceEnv).length ? `service env ${JSON.stringify(opts.serviceEnv)}, ` : '') +
      `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}, ${machineLine()}\n` +
      `[bench] the LLM simulator runs inside this process (pid ${process.pid}); services are child processes\n`,
  );

  let system;
  const stopSystem = async () => {
    if (!system) return;
    const s = system;
    system = undefined;
    await s.stop();
  };
  const unhookSignals = abortOnSignals('bench', deadline);

  let sampler;
  try {
    system = await startSystem({ label: 'bench', readyTimeoutMs: 60_000, env: opts.serviceEnv });
    checkDeadline();
    const simUrl = system.simulator?.url;
    if (!simUrl) throw new Error('startSystem did not start the simulator in-process');
    const pids = Object.fromEntries(SERVICES.map((n) => [n, system.process(n).pid]));
    const dbName = decodeURIComponent(new URL(system.databaseUrl).pathname.slice(1));
    const natsPort = Number(new URL(system.natsUrl).port);
    pids.bench = process.pid;
    process.stdout.write(`[bench] system up: gateway ${system.gatewayUrl}, simulator ${simUrl}, pids ${JSON.stringify(pids)}\n`);
    sampler = new RssSampler(pids);

    const maxC = Math.max(...opts.concurrencies);
    const users = await createUsers(system, maxC);

    const levels = [];
    for (const c of opts.concurrencies) {
      const rounds = c === 1 ? opts.rounds : opts.roundsMulti;
      // All conversations up front (one per stream per round, plus the warm-up's).
      const warmConvs = await createConversations(system, users, c, `warm-up c=${c}`);
      const roundConvs = [];
      for (let k = 0; k < rounds; k++) roundConvs.push(await createConversations(system, users, c, `c=${c} round ${k}`));

      // Warm-up: one short run each way at this concurrency (connections, JIT, pools).
      const warmTokens = Math.min(opts.tokens, 10);
      const warm = { system, simUrl, tokens: warmTokens, rate: opts.rate === 0 ? 0 : Math.max(opts.rate, 200), label: `warm-up c=${c}` };
      const wd = await runPhase('direct', c, { ...warm, conversations: [] });
      const wh = await runPhase('harness', c, { ...warm, conversations: warmConvs });
      for (const [kind, p] of [['direct', wd], ['Harness', wh]]) {
        const failed = p.results.filter((r) => r.error);
        if (failed.length) throw new Error(`warm-up ${kind} at c=${c}: ${failed.length} stream(s) failed: ${failed[0].error}`);
      }
      await sleep(opts.settleMs);

      const direct = [];
      const harness = [];
      let harnessWallMs = 0;
      let directWallMs = 0;
      let directBenchCpuMs = 0;
      const cpu0 = {};
      const sched0 = {};
      const runqWaitSum = Object.fromEntries(Object.keys(pids).map((n) => [n, 0]));
      const cpuSum = Object.fromEntries(Object.keys(pids).map((n) => [n, 0]));
      const infraSum = Object.fromEntries(INFRA_GROUPS.map((g) => [g, 0]));
      let machineBusyMs = 0;
      let directMachineBusyMs = 0;
      const eldD = [];
      const eldH = [];
      for (let k = 0; k < rounds; k++) {
        const order = k % 2 === 0 ? ['direct', 'harness'] : ['harness', 'direct'];
        for (const kind of order) {
          const ctx = { system, simUrl, tokens: opts.tokens, rate: opts.rate, conversations: roundConvs[k], label: `c=${c} round ${k}` };
          if (kind === 'harness') {
            for (const [n, pid] of Object.entries(pids)) {
              cpu0[n] = cpuMs(pid);
              sched0[n] = schedMs(pid);
            }
            const infra0 = infraCpu(dbName, natsPort);
            const machine0 = machineCpuMs();
            sampler.open(`c=${c}`);
            const p = await runPhase('harness', c, ctx);
            sampler.close();
            for (const [n, pid] of Object.entries(pids)) {
              cpuSum[n] += cpuMs(pid) - cpu0[n];
              runqWaitSum[n] += schedMs(pid).wait - sched0[n].wait;
            }
            const machine1 = machineCpuMs();
            for (const [g, ms] of Object.entries(infraDelta(infra0, infraCpu(dbName, natsPort)))) infraSum[g] += ms;
            machineBusyMs += machine1.busy - machine0.busy;
            harness.push(...p.results);
            harnessWallMs += p.wallMs;
            eldH.push(p.eventLoopDelay.p99);
          } else {
            const m0 = machineCpuMs();
            const p = await runPhase('direct', c, ctx);
            directMachineBusyMs += machineCpuMs().busy - m0.busy;
            direct.push(...p.results);
            directWallMs += p.wallMs;
            directBenchCpuMs += p.benchCpuMs;
            eldD.push(p.eventLoopDelay.p99);
          }
          process.stdout.write(`[bench] c=${c} round ${k + 1}/${rounds}: ${kind} done\n`);
          await sleep(opts.settleMs);
        }
      }

      const d = { ...phaseSummary(direct, opts.tokens), eventLoopDelayP99: Math.max(...eldD) };
      const h = { ...phaseSummary(harness, opts.tokens), eventLoopDelayP99: Math.max(...eldH) };
      const peak = sampler.peak(`c=${c}`);
      const resources = {};
      for (const n of Object.keys(pids)) {
        resources[n] = {
          cpuMs: cpuSum[n],
          cpuPctCore: (cpuSum[n] / harnessWallMs) * 100,
          peakRssMiB: peak[n] ?? NaN,
          mainThreadRunQueueWaitMs: runqWaitSum[n],
        };
      }
      const infrastructure = {};
      for (const g of INFRA_GROUPS) infrastructure[g] = { cpuMs: infraSum[g], cpuPctCore: (infraSum[g] / harnessWallMs) * 100 };
      infrastructure['machine, all processes'] = { cpuMs: machineBusyMs, cpuPctCore: (machineBusyMs / harnessWallMs) * 100 };
      levels.push({
        concurrency: c,
        rounds,
        direct: d,
        harness: h,
        added: {
          ttft: { p50: h.ttft.p50 - d.ttft.p50, p99: h.ttft.p99 - d.ttft.p99 },
          chunk: { p50: h.chunk.p50 - d.chunk.p50, p99: h.chunk.p99 - d.chunk.p99 },
        },
        resources,
        infrastructure,
        harnessWallMs,
        ...(opts.raw ? { raw: { direct: rawStreams(direct), harness: rawStreams(harness) } } : {}),
        directWallMs,
        directBenchCpuMs,
        directBenchCpuPctCore: (directBenchCpuMs / directWallMs) * 100,
        directMachineCpuPctCore: (directMachineBusyMs / directWallMs) * 100,
      });
      for (const [kind, s] of [['direct', d], ['Harness', h]]) {
        if (s.failed) process.stdout.write(`[bench] c=${c} ${kind}: ${s.failed} stream(s) failed: ${s.errors.join(' | ')}\n`);
      }
    }

    const vmHwmMiB = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, memory(pid).hwm]));
    sampler.stop();

    // Targets: TTFT at 50 streams (or the highest concurrency measured), per-chunk and delivery at every level.
    const targets = [];
    const ttftLevel = levels.find((l) => l.concurrency === TARGETS.ttftAtConcurrency) ?? levels[levels.length - 1];
    targets.push({
      name: `added TTFT p50 at ${ttftLevel.concurrency} streams`,
      measured: `${fmt(ttftLevel.added.ttft.p50)} ms`,
      target: `≤ ${TARGETS.addedTtftP50} ms`,
      met: ttftLevel.added.ttft.p50 <= TARGETS.addedTtftP50,
    });
    targets.push({
      name: `added TTFT p99 at ${ttftLevel.concurrency} streams`,
      measured: `${fmt(ttftLevel.added.ttft.p99)} ms`,
      target: `≤ ${TARGETS.addedTtftP99} ms`,
      met: ttftLevel.added.ttft.p99 <= TARGETS.addedTtftP99,
    });
    for (const l of levels) {
      targets.push({
        name: `added per-chunk latency p50 at ${l.concurrency} stream(s)`,
        measured: `${fmt(l.added.chunk.p50, 3)} ms`,
        target: `≤ ${TARGETS.addedChunkP50} ms`,
        met: l.added.chunk.p50 <= TARGETS.addedChunkP50,
      });
      targets.push({
        name: `added per-chunk latency p99 at ${l.concurrency} stream(s)`,
        measured: `${fmt(l.added.chunk.p99, 3)} ms`,
        target: `≤ ${TARGETS.addedChunkP99} ms`,
        met: l.added.chunk.p99 <= TARGETS.addedChunkP99,
      });
      targets.push({
        name: `every chunk delivered in order through Harness at ${l.concurrency} stream(s)`,
        measured: `${l.harness.delivered}/${l.harness.sent} delivered, in order: ${l.harness.inOrder ? 'yes' : 'no'}, failed streams: ${l.harness.failed}`,
        target: 'all, in order, none duplicated',
        met: l.harness.complete && l.harness.inOrder,
      });
    }

    const report = {
      benchmark: 'stream-latency',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...opts, outDir: relative(repoRoot, opts.outDir) || '.' },
      environment: {
        ...baseEnvironment(),
        serviceEnv: opts.serviceEnv,
        loadAverage: readFileSync('/proc/loadavg', 'utf8').trim(),
        clockTicks,
        simulatorInProcess: true,
      },
      levels: levels.map((l) => ({
        ...l,
        direct: { ...l.direct, ttft: roundObj(l.direct.ttft), chunk: roundObj(l.direct.chunk) },
        harness: { ...l.harness, ttft: roundObj(l.harness.ttft), chunk: roundObj(l.harness.chunk) },
      })),
      vmHwmMiB,
      targets,
    };
    printReport(report);

    const nonFiniteAsNull = (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    const file = writeResults(opts.outDir, 'stream-latency', startedAt, report, nonFiniteAsNull);
    process.stdout.write(`[bench] results written to ${relative(process.cwd(), file)}\n`);
  } finally {
    sampler?.stop();
    await stopSystem().catch((err) => process.stderr.write(`[bench] stopping the system failed: ${err?.message ?? err}\n`));
    unhookSignals();
  }
}

// Exits 0 when main resolves, 1 on an error or if stopping hangs past the deadline.
runMain('bench', main, deadline);
