import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { queuePrefix, Queues, setSubjectNamespace } from '@harness/contracts';
import { signToken, startSystem, waitFor, type System } from '@harness/testing';
import { GatewayMetrics } from '../../services/gateway/src/core/metrics.js';
import { Browser, signInWithDevIdp } from './support/sign-in.js';

const QUEUE = Queues.toolCalls;
const API = `/admin/queues/api/queues`;

/** Prometheus text → value of the series `name{labels}` (labels compared exactly), undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (got === want) return Number(m[3]);
  }
  return undefined;
}

/** Bull Board at /admin/queues (admin users only) and the queue gauges of /metrics, against the running system. */
describe('admin queue board and queue metrics', () => {
  const namespace = `t-adminq-${randomBytes(3).toString('hex')}`;
  let system: System;
  let redis: Redis;
  let queue: Queue;
  let admin: string;
  let alice: string;
  /** Session cookies (signed in through the dev IdP): ops is an admin by its verified e-mail, alice is not. */
  let opsSession: string;
  let aliceSession: string;

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${system.gatewayUrl}${path}`, { method, headers, redirect: 'manual' });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  // The board is the gateway's own page: its requests carry the gateway's Origin (what the CSRF check wants of a cookie).
  const cookie = (session: string) => ({ cookie: `other=1; harness_session=${session}`, origin: system.gatewayUrl });
  const signIn = async (username: string) => {
    const browser = new Browser();
    const { callback } = await signInWithDevIdp(browser, system.gatewayUrl, username);
    expect(callback.status).toBe(302);
    return browser.cookie(system.gatewayUrl, 'harness_session')!;
  };
  const metrics = async () => (await get('/metrics')).text();
  const jobs = (text: string, state: string) => sample(text, 'queue_jobs', { queue: QUEUE, state });

  const expectError = async (res: Response, status: number, code: string) => {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    expect({ status: res.status, code: body.error?.code, message: typeof body.error?.message }).toEqual({ status, code, message: 'string' });
  };

  beforeAll(async () => {
    system = await startSystem({
      label: 'admin-queues',
      // info: the access log lines are written, so the test can check a token never reaches them.
      env: { HARNESS_ADMIN_USERS: 'ops@dev.local, root', HARNESS_NATS_NAMESPACE: namespace, LOG_LEVEL: 'info' },
    });
    // The mcp-broker's queue, as any BullMQ client sees it: the same name and key prefix.
    setSubjectNamespace(namespace);
    redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    queue = new Queue(QUEUE, { connection: redis, prefix: queuePrefix() });
    admin = await system.token('root');
    alice = await system.token('alice');
    opsSession = await signIn('ops');
    aliceSession = await signIn('alice');
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await redis?.quit();
  });

  it('serves the board page, its assets and its API to an admin with a bearer token', async () => {
    const page = await get('/admin/queues', bearer(admin));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('x-powered-by')).toBeNull();
    const html = await page.text();
    expect(html).toContain('Harness queues');
    // The page's assets are relative to its <base href>, under /admin/queues/ (so the cookie's path covers them).
    expect(html).toContain('<base href="/admin/queues/"');
    const asset = /src="(static\/js\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await get(`/admin/queues/${asset}`, bearer(admin));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    await js.arrayBuffer();

    const api = await get(API, bearer(admin));
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(body.queues.map((q) => q.name)).toEqual([QUEUE]);
  });

  it('takes the admin\'s session cookie (signed in, admin by verified e-mail); the ?token= query is gone', async () => {
    expect((await get('/admin/queues', cookie(opsSession))).status).toBe(200);
    const api = await get(API, cookie(opsSession));
    expect(api.status).toBe(200);
    expect(((await api.json()) as { queues: { name: string }[] }).queues[0].name).toBe(QUEUE);
    // A token in the query string is no credential any more (and sets no cookie).
    const query = await get(`/admin/queues?token=${admin}`);
    expect(query.headers.get('set-cookie')).toBeNull();
    await expectError(query, 401, 'unauthorized');

    // The access log has the requests (path only), never the session token.
    await waitFor(() => readFileSync(system.logFile, 'utf8').includes('"path":"/admin/queues"'), { description: 'the access log line' });
    await waitFor(() => readFileSync(system.logFile, 'utf8').includes('"path":"/admin/queues/api/queues"'), { description: 'the API log line' });
    expect(readFileSync(system.logFile, 'utf8')).not.toContain(opsSession);
    expect(readFileSync(system.logFile, 'utf8')).not.toContain(admin);
  });

  it('refuses users who are not admins (403) and requests without a valid token or session (401)', async () => {
    for (const path of ['/admin/queues', '/admin/queues/', API, '/admin/queues/queue/mcp-tool-calls', '/admin/queues/static/favicon-32x32.png']) {
      await expectError(await get(path, bearer(alice)), 403, 'forbidden');
      await expectError(await get(path, cookie(aliceSession)), 403, 'forbidden');
      await expectError(await get(path), 401, 'unauthorized');
    }

    const otherSecret = await signToken(randomBytes(32).toString('base64url'), 'root');
    const expired = await signToken(system.jwtSecret, 'root', Math.floor(Date.now() / 1000) - 10);
    for (const bad of ['garbage', otherSecret, expired]) await expectError(await get(API, bearer(bad)), 401, 'unauthorized');
    // A session cookie that is not (or no longer) a session.
    await expectError(await get(API, cookie('garbage')), 401, 'unauthorized');
    await expectError(await get(API, cookie(randomBytes(32).toString('base64url'))), 401, 'unauthorized');
    // A header, when sent, is what counts (an admin's cookie does not rescue a bad header).
    await expectError(await get(API, { ...bearer('garbage'), ...cookie(opsSession) }), 401, 'unauthorized');
    // An action with the admin's cookie from another origin (a cross-site request) is refused.
    await expectError(await get(`${API}/${QUEUE}/clean/completed`, { ...cookie(opsSession), origin: 'https://evil.example' }, 'PUT'), 403, 'csrf_failed');
    await expectError(await get(`${API}/${QUEUE}/clean/completed`, { cookie: `harness_session=${opsSession}` }, 'PUT'), 403, 'csrf_failed');
  });

  it('reports the queue in /metrics, follows its jobs, lets only admins act on them, and only to retry or clean', async () => {
    let text = await metrics();
    expect(sample(text, 'queue_up', { queue: QUEUE })).toBe(1);
    expect(sample(text, 'queue_paused', { queue: QUEUE })).toBe(0);
    for (const state of ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed']) {
      expect(jobs(text, state)).toEqual(expect.any(Number));
    }
    const delayedBefore = jobs(text, 'delayed')!;
    expect(sample(text, 'queue_oldest_waiting_job_age_seconds', { queue: QUEUE })).toBe(0);

    // A delayed job (due in an hour: no worker takes it) added straight into Redis.
    const delayed = await queue.add('call', { test: 'admin-queues' }, { jobId: 'admin-queues-delayed', delay: 3_600_000 });
    await waitFor(async () => jobs(await metrics(), 'delayed') === delayedBefore + 1, { description: 'queue_jobs delayed + 1' });
    const listed = (await (await get(`${API}?activeQueue=${QUEUE}&status=delayed&page=1&jobsPerPage=10`, bearer(admin))).json()) as { queues: { jobs: { id: string }[] }[] };
    expect(listed.queues[0].jobs.map((j) => j.id)).toContain(delayed.id);

    // Actions are admin-only too.
    await expectError(await get(`${API}/${QUEUE}/pause`, bearer(alice), 'PUT'), 403, 'forbidden');
    await expectError(await get(`${API}/${QUEUE}/${delayed.id}/clean`, cookie(aliceSession), 'PUT'), 403, 'forbidden');
    await expectError(await get(`${API}/${QUEUE}/${delayed.id}/clean`, {}, 'PUT'), 401, 'unauthorized');
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getJob(delayed.id!)).toBeDefined();

    // The board is read-only but for retry and clean: an admin can neither add nor edit a job (it would run a tool
    // call as any user), nor pause, promote, empty or obliterate the queue.
    const send = (path: string, method: string, body?: unknown) =>
      fetch(`${system.gatewayUrl}${path}`, {
        method, redirect: 'manual', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
      });
    const forged = { userId: 'alice', harnessId: '00000000-0000-4000-8000-000000000000', toolCallId: 'forged', name: 'echo', input: { text: 'x' } };
    for (const [method, path, body] of [
      ['POST', `${API}/${QUEUE}/add`, { name: 'call', data: forged, options: {} }],
      ['PATCH', `${API}/${QUEUE}/${delayed.id}/update-data`, { jobData: forged }],
      ['PATCH', `${API}/${QUEUE}/${delayed.id}/delay`, { delay: 0 }],
      ['PUT', `${API}/${QUEUE}/${delayed.id}/promote`, undefined],
      ['PUT', `${API}/${QUEUE}/promote`, undefined],
      ['PUT', `${API}/${QUEUE}/pause`, undefined],
      ['PUT', `${API}/pause`, undefined],
      ['PUT', `${API}/${QUEUE}/empty`, undefined],
      ['PUT', `${API}/${QUEUE}/obliterate`, undefined],
      ['PUT', `${API}/${QUEUE.toUpperCase()}/PAUSE`, undefined],
    ] as const) {
      const res = await send(path, method, body);
      const error = ((await res.json()) as { error?: { code?: string; message?: string } }).error;
      expect({ method, path, status: res.status, code: error?.code }).toEqual({ method, path, status: 403, code: 'forbidden' });
      expect(error?.message).toMatch(/read-only/);
    }
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getJobCounts('waiting', 'prioritized', 'active')).toEqual({ waiting: 0, prioritized: 0, active: 0 });
    const unchanged = await queue.getJob(delayed.id!);
    expect(unchanged?.data).toEqual({ test: 'admin-queues' });
    expect(await unchanged?.getState()).toBe('delayed');

    // A job that was not signed by chat (as the board's "add" would have made) is refused by the broker's worker, never
    // run. The board can retry it (a finished job goes back to the queue), and it is refused again.
    const unsigned = await queue.add('call', forged, { jobId: 'admin-queues-unsigned' });
    const finished = async (after = 0) => {
      const job = await queue.getJob(unsigned.id!);
      return (await job?.getState()) === 'completed' && (job?.finishedOn ?? 0) > after && job;
    };
    const refused = await waitFor(() => finished(), { description: 'the unsigned job refused by the worker' });
    expect(refused.returnvalue).toMatchObject({ ok: false, errorText: expect.stringMatching(/not signed/) });
    expect((await get(`${API}/${QUEUE}/${unsigned.id}/retry`, bearer(admin), 'PUT')).status).toBe(204);
    const again = await waitFor(() => finished(refused.finishedOn), { description: 'the retried job refused again' });
    expect(again.returnvalue).toMatchObject({ ok: false, errorText: expect.stringMatching(/not signed/) });

    // The queue paused (from outside the board); a job added now waits, and its age shows.
    await queue.pause();
    const waiting = await queue.add('call', { test: 'admin-queues' }, { jobId: 'admin-queues-waiting' });
    await waitFor(async () => {
      const t = await metrics();
      return sample(t, 'queue_paused', { queue: QUEUE }) === 1 && jobs(t, 'waiting') === 1 && t;
    }, { description: 'queue_paused 1 and one waiting job' });
    await waitFor(async () => sample(await metrics(), 'queue_oldest_waiting_job_age_seconds', { queue: QUEUE })! > 0, {
      description: 'the oldest waiting job age',
    });

    // The admin removes the jobs (the board's clean action, as with a cookie), and the queue is resumed.
    for (const id of [waiting.id!, delayed.id!, unsigned.id!]) expect((await get(`${API}/${QUEUE}/${id}/clean`, cookie(opsSession), 'PUT')).status).toBe(204);
    await queue.resume();
    text = await waitFor(async () => {
      const t = await metrics();
      return jobs(t, 'delayed') === delayedBefore && jobs(t, 'waiting') === 0 && sample(t, 'queue_paused', { queue: QUEUE }) === 0 && t;
    }, { description: 'the gauges back to where they were' });
    expect(sample(text, 'queue_oldest_waiting_job_age_seconds', { queue: QUEUE })).toBe(0);
  });

  it('does not hold /metrics up when Redis does not answer: queue_up 0 and no counts for that queue', async () => {
    // A "Redis" that accepts connections and never answers: the worst case, every read would wait forever.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const deadRedis = new Redis(`redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    deadRedis.on('error', () => undefined);
    const deadQueue = new Queue(QUEUE, { connection: deadRedis, prefix: queuePrefix() });
    deadQueue.on('error', () => undefined);
    const gatewayMetrics = new GatewayMetrics();
    gatewayMetrics.queueScrapeTimeoutMs = 300;
    gatewayMetrics.watchQueue(deadQueue);
    try {
      // Twice: the second scrape waits on the first one's read, it does not start another.
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        const text = await gatewayMetrics.registry.metrics();
        expect(Date.now() - started).toBeLessThan(1_500);
        expect(sample(text, 'queue_up', { queue: QUEUE })).toBe(0);
        expect(jobs(text, 'waiting')).toBeUndefined();
        expect(sample(text, 'queue_paused', { queue: QUEUE })).toBeUndefined();
        expect(text).toContain('process_cpu_user_seconds_total');
      }
    } finally {
      deadRedis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await deadQueue.close().catch(() => undefined);
    }
  });
});
