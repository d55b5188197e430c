#!/usr/bin/env node
// MCP tool-call benchmark: what a tool call costs through the mcp-broker, pooled vs fresh sessions, against the raw
// HTTP floor, plus the BullMQ dispatch overhead and parallel-call fan-out, all measured side by side in one run.
//
//   node scripts/build.mjs && npm run bench:mcp [-- --calls 200 --rounds 3 --fresh 50 --jobs 500]
//
// Setup: the in-repo MCP test server (tools/mcp-test-server/dist/main.js) as a child process on 127.0.0.1; the gateway
// and the mcp-broker from their built dist through startSystem (own database, own NATS namespace and BullMQ prefix
// `bull:<namespace>`, so a running dev system is never touched). Every harness has one MCP server: the test server.
//
// Figures (each phase in rounds that rotate the order of its cases, so background noise hits every case):
//   A. session-pool level, in this process, sequential `echo` calls:
//        raw    : plain HTTP POST of a JSON-RPC tools/call on an already-initialized session (same Mcp-Session-Id,
//                 keep-alive agent): the floor;
//        pooled : SessionPool.call (the broker's built class) on a session it keeps open;
//        fresh  : connectClient (the broker's built connect: initialize + notifications/initialized) + callTool, then
//                 terminateSession (DELETE) + close; reported both up to the result and including the DELETE.
//   B. through the broker: the real `callTool` NATS command (Nest ClientProxy, as chat sends it) → BullMQ job →
//      the broker's worker → pooled session → test server, and back:
//        pooled : one user, whose session stays in the pool;
//        fresh  : one new user per call. The broker keys sessions by (user, server URL, credential), keeps at most 50
//                 per server URL and evicts the least recently used idle one. Before a round, F+50 new users list
//                 their tools (listTools command: a session each, and the listing cached for 60 s as it would be);
//                 the last 50 listings evict the first F users' sessions, so each of those F users' call finds its
//                 listing cached and NO session: the broker opens a new MCP session for that call. The broker code and
//                 settings are untouched. Checked at the end with `whoami` (session ids).
//   C. BullMQ dispatch, in this process: a queue under the same prefix (its own queue name, so the broker's worker
//      never takes these jobs), same job options as the broker (attempts 1, removeOnComplete/removeOnFail count),
//      a Worker (concurrency = the broker's default 16) whose processor only stamps its start. add→start = from just
//      before queue.add() to the processor's first line; add→finished = until job.waitUntilFinished(QueueEvents)
//      resolves (what the broker's NATS handler waits on). Sequential, and with several jobs in flight.
//   D. five `slow` calls (100..500 ms) through the broker at once: wall time − 500 ms, over several rounds.
//
// It is a measurement, not a test: it exits 0 whether or not the targets are met, non-zero only on errors.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { startSystem } from '@harness/testing';
import { McpBrokerSubjects, queuePrefix, Queues, setSubjectNamespace } from '@harness/contracts';
import { signToolCall } from '@harness/crypto';
import { createOutboundPolicy } from '@harness/outbound';
import { Logger as NestLogger } from '@nestjs/common';
import { ClientProxyFactory, NatsRecordBuilder, Transport } from '@nestjs/microservices';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { firstValueFrom, timeout as rxTimeout } from 'rxjs';
import {
  abortOnSignals,
  baseEnvironment,
  createBenchUser,
  createDeadline,
  fmt,
  intOption,
  machineLine,
  outDirOption,
  parseOptions,
  pool,
  repoRoot as root,
  round3,
  runMain,
  summarize,
  table,
  writeResults,
} from './lib/common.mjs';

const brokerDist = join(root, 'services', 'mcp-broker', 'dist');
const testServerMain = join(root, 'tools', 'mcp-test-server', 'dist', 'main.js');

// ---------- options ----------

const HELP = `Usage: npm run bench:mcp -- [options]   (each option also reads an env variable)
  --calls N            timed calls per case per round (A, B pooled)   BENCH_MCP_CALLS           default 200
  --fresh N            fresh-session calls per round through broker   BENCH_MCP_FRESH           default 50
  --rounds K           rounds of A and B                               BENCH_MCP_ROUNDS          default 3
  --jobs N             BullMQ jobs per dispatch mode (C)               BENCH_MCP_JOBS            default 500
  --in-flight N        BullMQ jobs in flight in the concurrent mode    BENCH_MCP_IN_FLIGHT       default 8
  --parallel-rounds K  rounds of five parallel slow calls (D)          BENCH_MCP_PARALLEL_ROUNDS default 10
  --deadline-ms MS     abort everything after this                     BENCH_MCP_DEADLINE_MS     default 600000
  --out DIR            where the JSON results go                       BENCH_OUT                 default bench/results
Services log at LOG_LEVEL (default warn). REDIS_URL / DATABASE_URL as for the tests (each test system runs its own nats-server).`;

const args = parseOptions(
  {
    calls: { type: 'string' },
    fresh: { type: 'string' },
    rounds: { type: 'string' },
    jobs: { type: 'string' },
    'in-flight': { type: 'string' },
    'parallel-rounds': { type: 'string' },
  },
  HELP,
);

const opts = {
  calls: intOption(args, 'calls', 'BENCH_MCP_CALLS', 200, 10, 100_000),
  fresh: intOption(args, 'fresh', 'BENCH_MCP_FRESH', 50, 5, 1_000),
  rounds: intOption(args, 'rounds', 'BENCH_MCP_ROUNDS', 3, 1, 100),
  jobs: intOption(args, 'jobs', 'BENCH_MCP_JOBS', 500, 10, 1_000_000),
  inFlight: intOption(args, 'in-flight', 'BENCH_MCP_IN_FLIGHT', 8, 2, 1_000),
  parallelRounds: intOption(args, 'parallel-rounds', 'BENCH_MCP_PARALLEL_ROUNDS', 10, 1, 1_000),
  deadlineMs: intOption(args, 'deadline-ms', 'BENCH_MCP_DEADLINE_MS', 600_000, 10_000, 3_600_000),
  outDir: outDirOption(args),
};

/** The broker's fixed pool settings (services/mcp-broker/src/app.module.ts) and job options (call-tool.usecase.ts). */
const BROKER = { maxPerServer: 50, idleTtlMs: 5 * 60_000, workerConcurrency: 16, keepJobs: 1_000 };
const SLOW_MS = [100, 200, 300, 400, 500];

const TARGETS = {
  freshOverPooled: 3, // ≥
  pooledOverRaw: 1.2, // ≤
  dispatchP50: 5, // ≤ ms
  dispatchP99: 20, // ≤ ms
  parallelOverSlowest: 20, // ≤ ms
};

// ---------- deadline ----------

const deadline = createDeadline(opts.deadlineMs);
const checkDeadline = deadline.check;

// ---------- output ----------

const load = () => loadavg().map((v) => Number(v.toFixed(2)));

const log = (msg) => process.stdout.write(`[bench:mcp] ${msg}\n`);

// ---------- the MCP test server (child process) ----------

async function startTestServer() {
  const child = spawn(process.execPath, [testServerMain], {
    cwd: root,
    env: { ...process.env, MCP_TEST_SERVER_PORT: '0', MCP_TEST_SERVER_HOST: '127.0.0.1', MCP_TEST_SERVER_TOKEN: '', MCP_TEST_SERVER_SESSION_IDLE_MS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the MCP test server did not start within 15 s')), 15_000);
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.url) {
          clearTimeout(timer);
          resolve(msg.url);
        }
      } catch {
        // not ours
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the MCP test server exited (${code}) before listening`));
    });
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ---------- A. raw HTTP floor ----------

const PROTOCOL_VERSION = '2025-06-18';

/** A raw JSON-RPC-over-HTTP client of one session: keep-alive agent with one socket, no SDK. */
class RawSession {
  constructor(url) {
    this.url = new URL(url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.sessionId = undefined;
    this.nextId = 1;
  }

  post(body) {
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const headers = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'content-length': payload.length,
        'mcp-protocol-version': PROTOCOL_VERSION,
      };
      if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, path: this.url.pathname, method: 'POST', agent: this.agent, headers },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The JSON-RPC message of a response (SSE `data:` line or a JSON body). */
  static message(res) {
    const ct = String(res.headers['content-type'] ?? '');
    if (ct.startsWith('text/event-stream')) {
      const data = res.text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter(Boolean);
      return JSON.parse(data[data.length - 1]);
    }
    return JSON.parse(res.text);
  }

  async initialize() {
    const res = await this.post({
      jsonrpc: '2.0', id: 0, method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench-raw', version: '0' } },
    });
    if (res.status !== 200) throw new Error(`raw initialize: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    this.sessionId = res.headers['mcp-session-id'];
    if (!this.sessionId) throw new Error('raw initialize: no Mcp-Session-Id');
    const ack = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (ack.status !== 202) throw new Error(`raw notifications/initialized: HTTP ${ack.status}`);
  }

  async callEcho(text) {
    const res = await this.post({ jsonrpc: '2.0', id: this.nextId++, method: 'tools/call', params: { name: 'echo', arguments: { text } } });
    if (res.status !== 200) throw new Error(`raw tools/call: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    const msg = RawSession.message(res);
    if (msg.result?.content?.[0]?.text !== text) throw new Error(`raw tools/call: unexpected answer ${JSON.stringify(msg).slice(0, 200)}`);
  }

  close() {
    this.agent.destroy();
  }
}

// ---------- B/D. the broker over NATS ----------

/** Sends one command the way chat does (Nest ClientProxy over NATS); returns the reply's data or throws. */
async function command(client, subject, payload, waitMs) {
  const record = new NatsRecordBuilder(payload).build();
  const reply = await firstValueFrom(client.send(subject, record).pipe(rxTimeout(waitMs)));
  if (!reply?.ok) throw new Error(`${subject}: ${JSON.stringify(reply?.error ?? reply).slice(0, 300)}`);
  return reply.data;
}

/** The system's HARNESS_JOB_SIGNING_KEY: each call is signed as chat signs it (the broker runs no unsigned job). */
let jobSigningKey;

async function brokerCall(client, user, name, input, timeoutMs = 30_000) {
  const call = { userId: user.userId, harnessId: user.harnessId, toolCallId: randomUUID(), name, input, timeoutMs, signedAt: Date.now() };
  const data = await command(
    client,
    McpBrokerSubjects.callTool,
    { ...call, signature: signToolCall(jobSigningKey, call) },
    timeoutMs + 15_000,
  );
  if (!data.ok) throw new Error(`tool call ${name} failed in the broker: ${data.errorText}`);
  return data;
}

/** Users with a harness whose one MCP server is the test server. */
async function createUsers(system, serverUrl, ids) {
  return pool(ids, 8, (userId) =>
    createBenchUser(system, userId, `bench ${userId}`, { mcpServers: [{ name: 'bench', url: serverUrl, authType: 'none' }] }, deadline.signal),
  );
}

// ---------- main ----------

async function main() {
  const startedAt = new Date();
  const loadStart = load();
  const namespace = `bench-mcp-${randomBytes(4).toString('hex')}`;
  setSubjectNamespace(namespace);
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  log(
    `MCP tool calls: ${opts.rounds} round(s) × ${opts.calls} calls per case (fresh through the broker: ${opts.fresh} per round), ` +
      `${opts.jobs} BullMQ jobs per mode, ${opts.parallelRounds} parallel rounds; NATS namespace ${namespace}, BullMQ prefix ${queuePrefix()}; ` +
      `load average ${loadStart.join(' ')}, ${machineLine()}`,
  );

  const { SessionPool } = await import(pathToFileURL(join(brokerDist, 'sessions', 'session-pool.js')).href);
  const { connectClient } = await import(pathToFileURL(join(brokerDist, 'sessions', 'connect-client.js')).href);
  const { guardedFetch } = await import('@harness/outbound');

  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) {
      const [name, fn] = cleanups.pop();
      await fn().catch((err) => process.stderr.write(`[bench:mcp] cleanup ${name} failed: ${err?.message ?? err}\n`));
    }
  };
  const unhookSignals = abortOnSignals('bench:mcp', deadline);

  const report = {
    benchmark: 'mcp-tools',
    startedAt: startedAt.toISOString(),
    options: { ...opts, outDir: relative(root, opts.outDir) || '.' },
    environment: {
      ...baseEnvironment(),
      namespace,
      queuePrefix: queuePrefix(),
      loadAverageStart: loadStart,
    },
    phases: {},
    loadAverage: {},
    targets: [],
  };

  try {
    const server = await startTestServer();
    cleanups.push(['MCP test server', () => server.stop()]);
    log(`MCP test server ${server.url} (pid ${server.pid})`);

    const system = await startSystem({
      label: 'bench_mcp',
      services: ['gateway', 'mcp-broker'],
      readyTimeoutMs: 60_000,
      env: { HARNESS_NATS_NAMESPACE: namespace },
    });
    cleanups.push(['system', () => system.stop()]);
    jobSigningKey = Buffer.from(system.jobSigningKey, 'utf8');
    log(`system up: gateway ${system.gatewayUrl}, mcp-broker pid ${system.process('mcp-broker').pid}`);

    NestLogger.overrideLogger(false); // the NATS client's connect/close notices
    const nats = ClientProxyFactory.create({ transport: Transport.NATS, options: { ...system.natsConnectOptions('test'), name: `bench-mcp-${process.pid}` } });
    await nats.connect();
    cleanups.push(['NATS client', () => nats.close()]);

    // The broker is not covered by the gateway's /healthz: wait for its health answer.
    for (let i = 0; ; i++) {
      try {
        const health = await firstValueFrom(nats.send(McpBrokerSubjects.health, {}).pipe(rxTimeout(2_000)));
        if (health?.status === 'ok') break;
        throw new Error(JSON.stringify(health));
      } catch (err) {
        if (i >= 150) throw new Error(`the mcp-broker did not answer its health subject: ${err?.message ?? err}`, { cause: err });
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    // ---------- A. session-pool level ----------
    checkDeadline();
    report.loadAverage.A = load();
    log(`A. session-pool level (in this process), load average ${report.loadAverage.A.join(' ')}`);
    const policy = createOutboundPolicy({ allowlist: ['127.0.0.0/8', '::1', 'localhost'] });
    const sessionPool = new SessionPool({
      policy,
      idleTtlMs: BROKER.idleTtlMs,
      maxPerServer: BROKER.maxPerServer,
      maxTotal: 1_000,
      clientInfo: { name: 'bench-mcp-pool', version: '0' },
      connectTimeoutMs: 8_000,
    });
    cleanups.push(['session pool', () => sessionPool.close()]);
    const freshFetch = guardedFetch(policy);
    const raw = new RawSession(server.url);
    cleanups.push(['raw session', async () => raw.close()]);
    await raw.initialize();

    const key = { userId: 'bench-pooled', serverUrl: server.url, credentialVersion: 'none' };
    const noHeaders = async () => ({});
    const pooledEcho = (text) =>
      sessionPool.call(key, noHeaders, async (c) => {
        const res = await c.callTool({ name: 'echo', arguments: { text } });
        if (res.content?.[0]?.text !== text) throw new Error(`pooled echo: unexpected answer ${JSON.stringify(res).slice(0, 200)}`);
      });
    let freshSessions = 0;
    const freshEcho = async (text) => {
      const t0 = performance.now();
      const { client, transport } = await connectClient({
        url: server.url, fetch: freshFetch, headers: {}, clientInfo: { name: 'bench-mcp-fresh', version: '0' }, timeoutMs: 8_000,
      });
      freshSessions++;
      let toResult;
      try {
        const res = await client.callTool({ name: 'echo', arguments: { text } });
        toResult = performance.now() - t0;
        if (res.content?.[0]?.text !== text) throw new Error(`fresh echo: unexpected answer ${JSON.stringify(res).slice(0, 200)}`);
      } finally {
        await transport.terminateSession?.().catch(() => undefined);
        await client.close().catch(() => undefined);
      }
      return { toResult, withDelete: performance.now() - t0 };
    };

    // Warm-up: connections, JIT, the pooled session.
    for (let i = 0; i < 30; i++) {
      await raw.callEcho(`warm ${i}`);
      await pooledEcho(`warm ${i}`);
      if (i % 3 === 0) await freshEcho(`warm ${i}`);
    }
    const A = { raw: [], pooled: [], fresh: [], freshWithDelete: [] };
    const casesA = ['raw', 'pooled', 'fresh'];
    for (let k = 0; k < opts.rounds; k++) {
      const order = casesA.map((_, i) => casesA[(i + k) % casesA.length]);
      for (const c of order) {
        checkDeadline();
        for (let i = 0; i < opts.calls; i++) {
          const text = `bench ${k}.${i}`;
          if (c === 'fresh') {
            const t = await freshEcho(text);
            A.fresh.push(t.toResult);
            A.freshWithDelete.push(t.withDelete);
          } else {
            const t0 = performance.now();
            await (c === 'raw' ? raw.callEcho(text) : pooledEcho(text));
            A[c].push(performance.now() - t0);
          }
        }
      }
      log(`A. round ${k + 1}/${opts.rounds} done`);
    }
    report.phases.A = {
      level: 'session pool, in the bench process (the broker\'s built SessionPool / connectClient), sequential echo calls',
      raw: summarize(A.raw),
      pooled: summarize(A.pooled),
      fresh: summarize(A.fresh),
      freshWithDelete: summarize(A.freshWithDelete),
      poolSessionsOpen: sessionPool.size,
      freshSessionsOpened: freshSessions,
    };
    await sessionPool.close();
    raw.close();

    // ---------- B. through the broker ----------
    checkDeadline();
    report.loadAverage.B = load();
    log(`B. through the broker (NATS callTool → BullMQ → worker → session), load average ${report.loadAverage.B.join(' ')}`);
    const [pooledUser] = await createUsers(system, server.url, ['bench-mcp-pooled']);
    for (let i = 0; i < 30; i++) await brokerCall(nats, pooledUser, 'echo', { text: `warm ${i}` });
    const B = { pooled: [], fresh: [], brokerDuration: { pooled: [], fresh: [] } };
    let freshUsersTotal = 0;
    const freshSample = [];
    for (let k = 0; k < opts.rounds; k++) {
      checkDeadline();
      // F + 50 new users; listing all of them, in order, leaves only the last 50 sessions in the broker's pool.
      const ids = Array.from({ length: opts.fresh + BROKER.maxPerServer }, (_, i) => `bench-mcp-f${k}-${i}`);
      const users = await createUsers(system, server.url, ids);
      for (const u of users) {
        const listed = await command(nats, McpBrokerSubjects.listTools, { userId: u.userId, harnessId: u.harnessId }, 15_000);
        if (!listed.items.some((t) => t.name === 'echo')) throw new Error(`listTools for ${u.userId}: no echo tool (${JSON.stringify(listed.errors)})`);
      }
      const freshUsers = users.slice(0, opts.fresh);
      freshUsersTotal += freshUsers.length;
      if (freshSample.length < 5) freshSample.push(...freshUsers.slice(0, 5 - freshSample.length));
      const order = k % 2 === 0 ? ['pooled', 'fresh'] : ['fresh', 'pooled'];
      for (const c of order) {
        if (c === 'pooled') {
          // The listing above evicted this user's session too: one untimed call reopens it.
          await brokerCall(nats, pooledUser, 'echo', { text: 'reopen' });
          for (let i = 0; i < opts.calls; i++) {
            const t0 = performance.now();
            const r = await brokerCall(nats, pooledUser, 'echo', { text: `bench ${k}.${i}` });
            B.pooled.push(performance.now() - t0);
            B.brokerDuration.pooled.push(r.durationMs);
          }
        } else {
          for (const [i, u] of freshUsers.entries()) {
            const t0 = performance.now();
            const r = await brokerCall(nats, u, 'echo', { text: `bench ${k}.${i}` });
            B.fresh.push(performance.now() - t0);
            B.brokerDuration.fresh.push(r.durationMs);
          }
        }
      }
      log(`B. round ${k + 1}/${opts.rounds} done`);
    }
    // Check that the mechanism did what it says: session ids (whoami) differ per fresh user and are stable when pooled.
    const pooledIds = new Set();
    for (let i = 0; i < 3; i++) pooledIds.add((await brokerCall(nats, pooledUser, 'whoami', {})).modelText);
    const freshIds = new Set();
    for (const u of freshSample) freshIds.add((await brokerCall(nats, u, 'whoami', {})).modelText);
    report.phases.B = {
      level: 'through the broker: NATS callTool command → BullMQ job → broker worker → SessionPool → test server, and back',
      pooled: summarize(B.pooled),
      fresh: summarize(B.fresh),
      brokerWorkerDurationMs: { pooled: summarize(B.brokerDuration.pooled), fresh: summarize(B.brokerDuration.fresh) },
      /** Per call: round trip − the worker's durationMs (NATS both ways, the NATS handler, BullMQ add → start and finish → waitUntilFinished). */
      outsideWorker: {
        pooled: summarize(B.pooled.map((v, i) => v - B.brokerDuration.pooled[i])),
        fresh: summarize(B.fresh.map((v, i) => v - B.brokerDuration.fresh[i])),
      },
      freshUsers: freshUsersTotal,
      check: { pooledDistinctSessionsIn3Calls: pooledIds.size, freshDistinctSessionsIn5Users: freshIds.size },
    };

    // ---------- C. BullMQ dispatch ----------
    checkDeadline();
    report.loadAverage.C = load();
    log(`C. BullMQ dispatch (in this process), load average ${report.loadAverage.C.join(' ')}`);
    const connections = [];
    const connection = () => {
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      connections.push(redis);
      return redis;
    };
    const queueName = 'bench-dispatch';
    const queue = new Queue(queueName, { connection: connection(), prefix: queuePrefix() });
    const events = new QueueEvents(queueName, { connection: connection(), prefix: queuePrefix() });
    const starts = new Map();
    const worker = new Worker(
      queueName,
      async (job) => {
        starts.set(job.data.i, performance.now());
        return { ok: true };
      },
      { connection: connection(), prefix: queuePrefix(), concurrency: BROKER.workerConcurrency },
    );
    worker.on('error', () => undefined);
    cleanups.push([
      'BullMQ',
      async () => {
        await worker.close().catch(() => undefined);
        await events.close().catch(() => undefined);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close().catch(() => undefined);
        await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      },
    ]);
    await Promise.all([worker.waitUntilReady(), events.waitUntilReady(), queue.waitUntilReady()]);
    const jobOptions = (i) => ({
      jobId: `bench-${i}`,
      attempts: 1,
      removeOnComplete: { count: BROKER.keepJobs },
      removeOnFail: { count: BROKER.keepJobs },
    });
    let seq = 0;
    const oneJob = async () => {
      const i = seq++;
      const t0 = performance.now();
      const job = await queue.add('call', { i }, jobOptions(i));
      const tAdded = performance.now();
      await job.waitUntilFinished(events, 30_000);
      const tDone = performance.now();
      const tStart = starts.get(i);
      starts.delete(i);
      return { add: tAdded - t0, start: tStart - t0, finished: tDone - t0 };
    };
    // Warm-up.
    for (let i = 0; i < 50; i++) await oneJob();
    await pool(Array.from({ length: 50 }), opts.inFlight, oneJob);
    const runMode = async (width) => {
      const results = [];
      const t0 = performance.now();
      if (width === 1) for (let i = 0; i < opts.jobs; i++) results.push(await oneJob());
      else results.push(...(await pool(Array.from({ length: opts.jobs }), width, oneJob)));
      const wall = performance.now() - t0;
      return {
        inFlight: width,
        jobs: results.length,
        jobsPerSecond: (results.length / wall) * 1000,
        addCall: summarize(results.map((r) => r.add)),
        addToStart: summarize(results.map((r) => r.start)),
        addToFinished: summarize(results.map((r) => r.finished)),
      };
    };
    report.phases.C = {
      queue: `${queuePrefix()}:${queueName} (worker concurrency ${BROKER.workerConcurrency}, in this process)`,
      sequential: await runMode(1),
      concurrent: await runMode(opts.inFlight),
    };
    log('C. done');

    // ---------- D. five parallel slow calls through the broker ----------
    checkDeadline();
    report.loadAverage.D = load();
    log(`D. ${SLOW_MS.length} parallel slow calls (${SLOW_MS.join(', ')} ms) through the broker, load average ${report.loadAverage.D.join(' ')}`);
    await Promise.all(SLOW_MS.map((ms) => brokerCall(nats, pooledUser, 'slow', { ms: Math.min(ms, 50) }))); // warm-up
    const D = { overSlowest: [], slowestCallOver: [], wall: [] };
    for (let k = 0; k < opts.parallelRounds; k++) {
      checkDeadline();
      const t0 = performance.now();
      const lat = await Promise.all(
        SLOW_MS.map(async (ms) => {
          await brokerCall(nats, pooledUser, 'slow', { ms });
          return performance.now() - t0;
        }),
      );
      const wall = performance.now() - t0;
      D.wall.push(wall);
      D.overSlowest.push(wall - Math.max(...SLOW_MS));
      D.slowestCallOver.push(lat[SLOW_MS.indexOf(Math.max(...SLOW_MS))] - Math.max(...SLOW_MS));
      await new Promise((r) => setTimeout(r, 100));
    }
    report.phases.D = {
      durationsMs: SLOW_MS,
      wallMinusSlowest: summarize(D.overSlowest),
      wall: summarize(D.wall),
    };
    report.loadAverage.end = load();

    // ---------- targets ----------
    const pA = report.phases.A;
    const pB = report.phases.B;
    const pC = report.phases.C;
    const pD = report.phases.D;
    const ratio = (a, b) => a / b;
    const t = report.targets;
    t.push({
      name: 'fresh / pooled, through the broker (p50)',
      measured: ratio(pB.fresh.p50, pB.pooled.p50),
      also: `mean ${fmt(ratio(pB.fresh.mean, pB.pooled.mean))}x`,
      target: `≥ ${TARGETS.freshOverPooled}x`,
      met: ratio(pB.fresh.p50, pB.pooled.p50) >= TARGETS.freshOverPooled,
    });
    t.push({
      name: 'fresh / pooled, session-pool level (p50; fresh up to the result, DELETE not counted)',
      measured: ratio(pA.fresh.p50, pA.pooled.p50),
      also: `mean ${fmt(ratio(pA.fresh.mean, pA.pooled.mean))}x; with the DELETE ${fmt(ratio(pA.freshWithDelete.p50, pA.pooled.p50))}x`,
      target: `≥ ${TARGETS.freshOverPooled}x`,
      met: ratio(pA.fresh.p50, pA.pooled.p50) >= TARGETS.freshOverPooled,
    });
    t.push({
      name: 'pooled / raw HTTP round trip, session-pool level (p50)',
      measured: ratio(pA.pooled.p50, pA.raw.p50),
      also: `mean ${fmt(ratio(pA.pooled.mean, pA.raw.mean))}x`,
      target: `≤ ${TARGETS.pooledOverRaw}x`,
      met: ratio(pA.pooled.p50, pA.raw.p50) <= TARGETS.pooledOverRaw,
    });
    t.push({
      name: 'pooled through the broker (NATS + BullMQ + DB lookups) / raw HTTP round trip (p50)',
      measured: ratio(pB.pooled.p50, pA.raw.p50),
      also: `mean ${fmt(ratio(pB.pooled.mean, pA.raw.mean))}x`,
      target: `≤ ${TARGETS.pooledOverRaw}x`,
      met: ratio(pB.pooled.p50, pA.raw.p50) <= TARGETS.pooledOverRaw,
    });
    for (const [mode, m] of [['sequential', pC.sequential], [`${pC.concurrent.inFlight} in flight`, pC.concurrent]]) {
      t.push({ name: `BullMQ add→start p50, ${mode}`, measured: m.addToStart.p50, unit: 'ms', target: `≤ ${TARGETS.dispatchP50} ms`, met: m.addToStart.p50 <= TARGETS.dispatchP50 });
      t.push({ name: `BullMQ add→start p99, ${mode}`, measured: m.addToStart.p99, unit: 'ms', target: `≤ ${TARGETS.dispatchP99} ms`, met: m.addToStart.p99 <= TARGETS.dispatchP99 });
    }
    t.push({
      name: `${SLOW_MS.length} parallel slow calls: wall − slowest, p50`,
      measured: pD.wallMinusSlowest.p50, unit: 'ms', target: `≤ ${TARGETS.parallelOverSlowest} ms`, met: pD.wallMinusSlowest.p50 <= TARGETS.parallelOverSlowest,
    });
    t.push({
      name: `${SLOW_MS.length} parallel slow calls: wall − slowest, max of ${pD.wallMinusSlowest.n} rounds`,
      measured: pD.wallMinusSlowest.max, unit: 'ms', target: `≤ ${TARGETS.parallelOverSlowest} ms`, met: pD.wallMinusSlowest.max <= TARGETS.parallelOverSlowest,
    });

    printReport(report);
    report.finishedAt = new Date().toISOString();
    const file = writeResults(opts.outDir, 'mcp-tools', startedAt, report, (_k, v) => (typeof v === 'number' ? round3(v) : v));
    log(`results written to ${relative(process.cwd(), file)}`);
  } finally {
    // The broker's own job keys under this namespace: removed once the broker has stopped (cleanups run in reverse).
    cleanups.unshift([
      'broker queue keys',
      async () => {
        const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
        redis.on('error', () => undefined);
        const q = new Queue(Queues.toolCalls, { connection: redis, prefix: queuePrefix() });
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close().catch(() => undefined);
        await redis.quit().catch(() => redis.disconnect());
      },
    ]);
    await cleanup();
    unhookSignals();
  }
}

function printReport(report) {
  const { A, B, C, D } = report.phases;
  const row = (name, s, digits = 3) => [name, fmt(s.p50, digits), fmt(s.p99, digits), fmt(s.mean, digits), fmt(s.max, digits), s.n];
  const head = ['ms', 'p50', 'p99', 'mean', 'max', 'n'];
  process.stdout.write(`\nA. Session-pool level (in the bench process; the test server is a child process), sequential echo calls\n`);
  process.stdout.write(`${table([
    row('raw HTTP POST tools/call on an open session (floor)', A.raw),
    row('pooled: SessionPool.call → callTool', A.pooled),
    row('fresh: connect (initialize) + callTool, to the result', A.fresh),
    row('fresh, including terminateSession (DELETE) + close', A.freshWithDelete),
  ], head)}\n`);
  process.stdout.write(`\nB. Through the broker (NATS callTool command → BullMQ → worker → session → server → back), sequential echo calls\n`);
  process.stdout.write(`${table([
    row('pooled (one user, session kept)', B.pooled),
    row('fresh (new user: listing cached, new MCP session)', B.fresh),
    row('  broker worker durationMs, pooled', B.brokerWorkerDurationMs.pooled),
    row('  broker worker durationMs, fresh', B.brokerWorkerDurationMs.fresh),
    row('  round trip − worker durationMs, pooled', B.outsideWorker.pooled),
    row('  round trip − worker durationMs, fresh', B.outsideWorker.fresh),
  ], head)}\n`);
  process.stdout.write(
    '  (worker durationMs: the processor resolving the tool (2 Postgres queries + the cached listing) and the MCP call; whole ms)\n' +
    `  check: pooled user → ${B.check.pooledDistinctSessionsIn3Calls} session id(s) in 3 calls; 5 fresh users → ${B.check.freshDistinctSessionsIn5Users} distinct session ids\n`,
  );
  process.stdout.write(`\nC. BullMQ dispatch (${C.queue})\n`);
  process.stdout.write(`${table([
    row(`sequential: queue.add() call`, C.sequential.addCall),
    row(`sequential: add → processor start`, C.sequential.addToStart),
    row(`sequential: add → waitUntilFinished resolves`, C.sequential.addToFinished),
    row(`${C.concurrent.inFlight} in flight: queue.add() call`, C.concurrent.addCall),
    row(`${C.concurrent.inFlight} in flight: add → processor start`, C.concurrent.addToStart),
    row(`${C.concurrent.inFlight} in flight: add → waitUntilFinished resolves`, C.concurrent.addToFinished),
  ], head)}\n`);
  process.stdout.write(`  throughput: ${fmt(C.sequential.jobsPerSecond, 0)} jobs/s sequential, ${fmt(C.concurrent.jobsPerSecond, 0)} jobs/s with ${C.concurrent.inFlight} in flight\n`);
  process.stdout.write(`\nD. ${D.durationsMs.length} parallel slow calls (${D.durationsMs.join(', ')} ms) through the broker\n`);
  process.stdout.write(`${table([row('wall − slowest (500 ms)', D.wallMinusSlowest, 2), row('wall', D.wall, 2)], head)}\n`);
  const la = report.loadAverage;
  process.stdout.write(
    `\nLoad average (1/5/15 min): start ${report.environment.loadAverageStart.join(' ')}, A ${la.A.join(' ')}, B ${la.B.join(' ')}, ` +
      `C ${la.C.join(' ')}, D ${la.D.join(' ')}, end ${la.end.join(' ')} (${report.environment.cpus} CPUs)\n`,
  );
  process.stdout.write('\nTargets\n');
  for (const tg of report.targets) {
    const measured = tg.unit === 'ms' ? `${fmt(tg.measured)} ms` : `${fmt(tg.measured)}x`;
    process.stdout.write(`  [${tg.met ? 'met' : 'NOT MET'}] ${tg.name}: ${measured}${tg.also ? ` (${tg.also})` : ''} (target ${tg.target})\n`);
  }
}

// Exits 0 when main resolves, 1 on an error or if cleanup hangs past the deadline.
runMain('bench:mcp', main, deadline);
