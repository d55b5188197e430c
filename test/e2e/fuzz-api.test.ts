import * as fc from 'fast-check';
import { SignJWT } from 'jose';
import { HTTP_STATUS_BY_CODE, type ErrorCode } from '@harness/contracts';
import { signToken, startSystem, type System, type SystemProcess } from '@harness/testing';
import { Client, readUntilTerminals, textOf } from './support/client.js';
import { buildRoutes, emptyPools, type AuthHeader, type FuzzContext, type FuzzRequest } from './support/fuzz-routes.js';
import { sendRaw, type RawResponse } from './support/raw-http.js';

// Property-based fuzzing of every public route (docs/api.md) by a signed-in user (mallory) who knows another user's
// (alice's) ids: bodies, query strings, headers, tokens and ids, each odd-but-valid or hostile (support/fuzz-routes.ts).
// Whatever comes in: every answer has an allowed status (never 500, never a dropped connection, never a hang), every
// error is exactly the standard error body with the code of its status, no answer shows a stack trace or another
// user's data, a foreign id never gets a 2xx, and afterwards every service is the process it was and users still chat.
//
// The seed is fixed (DEFAULT_SEED) unless FUZZ_SEED=random explores new inputs; FUZZ_SEED=<n> replays one (every failure names its seed; the server's state makes a replay close,
// not exact); FUZZ_RUNS=<k> multiplies the runs per route (default 1: 15 each, about 550 requests in all, a batch phase
// included); FUZZ_DEBUG=<part of a route name> prints that route's requests and answers.

// A fixed seed by default, so `npm test` (and CI) is reproducible; FUZZ_SEED=random explores new inputs.
const DEFAULT_SEED = 20_261_203;
const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
const RUNS_PER_ROUTE = Math.max(1, Math.round(15 * Number(process.env.FUZZ_RUNS ?? 1)));

const ALLOWED_STATUSES = new Set([200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 415, 429, 503]);
const STACK_TRACE = /\bat [^\n]*\.(?:js|ts|mjs|cjs):\d+|node:internal\/|\n\s+at \S/;
const ERROR_KEYS = new Set(['code', 'message', 'details']);

describe('fuzz: the public API', () => {
  let system: System;
  let mallory: Client;
  let alice: Client;
  let services: SystemProcess[];
  let exited: string | undefined;
  const marker = { alice: `alice-private-${SEED}`, mallory: `mallory-private-${SEED}` };
  const aliceToken = `alice-bearer-secret-${SEED}`;
  const ctx: FuzzContext = { mine: emptyPools(), disposable: emptyPools(), theirs: emptyPools(), validAuth: [], hostileAuth: [], cursors: new Map(), queued: new Map() };
  /** Statuses seen per route (printed at the end: how deep the inputs got). */
  const seen = new Map<string, Map<number, number>>();

  beforeAll(async () => {
    system = await startSystem({
      label: 'fuzz-api',
      env: {
        HARNESS_RATE_LIMIT_MESSAGES: 'off',
        HARNESS_RATE_LIMIT_CONVERSATION_CREATES: 'off',
        HARNESS_RATE_LIMIT_HARNESS_WRITES: 'off',
        HARNESS_RATE_LIMIT_TOOL_LISTS: 'off',
        HARNESS_RATE_LIMIT_OAUTH_STARTS: 'off',
        HARNESS_MAX_STREAMS_PER_USER: '100000',
        HARNESS_MAX_HARNESSES_PER_USER: '100000',
        HARNESS_OAUTH_CLIENT_METADATA_URL: 'https://harness.example/oauth/client-metadata.json',
      },
    });
    services = (['gateway', 'chat', 'mcp-broker', 'auth'] as const).map((name) => system.process(name));
    for (const p of services) void p.exited.then(() => (exited ??= p.name));
    mallory = await Client.as(system, 'mallory');
    alice = await Client.as(system, 'alice');

    // Alice's data, which mallory must never see nor touch.
    const aliceHarness = await alice.createHarness({
      name: marker.alice,
      systemPrompt: marker.alice,
      mcpServers: [{ name: 'secured', url: 'http://127.0.0.1:1/mcp', authType: 'bearer', authToken: aliceToken }],
    });
    const aliceConv = await alice.createConversation(aliceHarness.id, marker.alice);
    await chatToEnd(alice, aliceConv.id, `hello ${marker.alice}`);
    ctx.theirs.harness.push(aliceHarness.id);
    ctx.theirs.server.push(...(await serverIds(alice, aliceHarness.id)));
    ctx.theirs.conversation.push(aliceConv.id);
    ctx.theirs.message.push(...(await alice.messages(aliceConv.id)).map((m) => m.id));
    ctx.theirs.queueItem.push(await queueOne(alice, aliceConv.id));

    // Mallory's own: a harness with a server, a conversation with a finished exchange and a queued message.
    const h = await mallory.createHarness({ systemPrompt: marker.mallory, mcpServers: [{ name: 'down', url: 'http://127.0.0.1:1/mcp' }] });
    ctx.mine.harness.push(h.id);
    ctx.mine.server.push(...(await serverIds(mallory, h.id)));
    const c = await mallory.createConversation(h.id, marker.mallory);
    ctx.mine.conversation.push(c.id);
    await chatToEnd(mallory, c.id, 'hi');
    ctx.mine.message.push(...(await mallory.messages(c.id)).map((m) => m.id));
    const item = await queueOne(mallory, c.id);
    ctx.mine.queueItem.push(item);
    ctx.queued.set(item, c.id);

    const valid = await system.token('mallory');
    const sign = (claims: Record<string, unknown>, alg = 'HS256') => new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(system.jwtSecret));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    ctx.validAuth = [`Bearer ${valid}`, `Bearer ${valid}`, `Bearer ${valid}`, `bearer   ${valid}  `].map((value): AuthHeader => ({ value, actor: 'mallory' }));
    ctx.hostileAuth = [
      { value: `Bearer ${await system.token('eve')}`, actor: 'eve' },
      ...[
        undefined,
        '',
        'Bearer',
        'Bearer a.b.c',
        `Basic ${Buffer.from('mallory:pw').toString('base64')}`,
        `Bearer ${valid}.x`,
        `Bearer ${valid}, Bearer ${valid}`,
        `Bearer ${valid.slice(0, -3)}abc`,
        `Bearer ${await signToken(system.jwtSecret, 'mallory', Math.floor(Date.now() / 1000) - 60)}`,
        `Bearer ${await signToken('another-secret-of-32-characters!!', 'mallory')}`,
        `Bearer ${await sign({ sub: 'mallory', exp }, 'HS512')}`,
        `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', exp })}.`,
        `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', exp })}.x`,
        `Bearer ${await sign({ sub: 'mallory' })}`,
        `Bearer ${await sign({ sub: 'a b', exp })}`,
        `Bearer ${await sign({ sub: 'x'.repeat(129), exp })}`,
        `Bearer ${await sign({ sub: ['alice'], exp })}`,
        `Bearer ${await sign({ sub: '../alice', exp })}`,
      ].map((value): AuthHeader => ({ value, actor: null })),
    ];
  }, 120_000);
  afterAll(() => system?.stop());

  const serverIds = async (client: Client, harnessId: string) =>
    ((await client.call('GET', `/v1/harnesses/${harnessId}`)).body.mcpServers as { id: string }[]).map((s) => s.id);

  async function chatToEnd(client: Client, conversationId: string, text: string) {
    const stream = await client.events(conversationId, { after: 0 });
    await client.send(conversationId, text);
    const events = await readUntilTerminals(stream, 1, 20_000);
    stream.close();
    expect(events.at(-1)!.chunk.type).toBe('finish');
    return events;
  }

  /** Starts a slow run and queues one message behind it; returns the queue item's id (the run is left going). */
  async function queueOne(client: Client, conversationId: string) {
    await client.send(conversationId, `slow\n@sim ${JSON.stringify({ text: 400, tokensPerSecond: 20 })}`);
    const queued = await client.send(conversationId, 'queued behind it');
    if (!queued.queueItemId) throw new Error(`expected a queued message, got ${JSON.stringify(queued)}`);
    return queued.queueItemId;
  }

  const describeRequest = (req: FuzzRequest) => {
    const body = req.body ? req.body.subarray(0, 300).toString('utf8') + (req.body.length > 300 ? `… (${req.body.length} bytes)` : '') : '';
    const headers = { ...req.headers, ...(req.headers.authorization ? { authorization: `${req.headers.authorization.slice(0, 24)}…` } : {}) };
    return `${req.method} ${req.path.slice(0, 300)} (hostile: ${req.hostile.join(',') || 'none'}; actor ${req.actor}) headers=${JSON.stringify(headers).slice(0, 400)} body=${JSON.stringify(body)}`;
  };

  /** Every property of one answer; throws a message naming what is wrong. */
  function check(req: FuzzRequest, res: RawResponse) {
    const fail = (what: string): never => {
      throw new Error(`${what}\n  request: ${describeRequest(req)}\n  answer: ${res.status} ${res.headers['content-type']} ${res.body.slice(0, 500)}`);
    };
    if (exited) fail(`the ${exited} service exited`);
    if (!ALLOWED_STATUSES.has(res.status)) fail(`status ${res.status} is not an allowed status`);
    if (STACK_TRACE.test(res.body)) fail('the answer shows a stack trace');
    const visible = `${res.body} ${JSON.stringify(res.headers)}`;
    const foreign = [...(req.actor === 'alice' ? [] : [marker.alice, aliceToken]), ...(req.actor === 'mallory' ? [] : [marker.mallory])];
    for (const m of foreign) if (visible.includes(m)) fail(`the answer shows another user's data (${m})`);
    const asked = req.path + JSON.stringify(req.headers) + (req.body?.toString('utf8') ?? '');
    for (const id of Object.values(ctx.theirs).flat()) if (visible.includes(id) && !asked.includes(id)) fail(`the answer shows alice's id ${id}`);
    if (req.picks.some((p) => p.owner !== null && p.owner !== req.actor) && res.status < 300) fail(`a request naming another user's resource got ${res.status}`);
    if (req.actor === null && !req.isPublic && res.status < 300) fail(`a request without a valid token got ${res.status}`);
    if (req.hostile.length === 0 && [401, 413, 415].includes(res.status)) fail(`a valid request got ${res.status}`);
    if (res.status === 429 && !/^\d+$/.test(String(res.headers['retry-after']))) fail('a 429 without Retry-After');
    if (res.status < 400 || req.method === 'HEAD') return;
    if (req.html && String(res.headers['content-type']).startsWith('text/html')) return;
    if (!String(res.headers['content-type']).startsWith('application/json')) fail('an error that is not JSON');
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      fail('an error body that does not parse');
    }
    const top = parsed as { error?: unknown };
    if (typeof top !== 'object' || top === null || Object.keys(top).join() !== 'error') fail('an error body that is not exactly {"error": …}');
    const e = top.error as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || Object.keys(e).some((k) => !ERROR_KEYS.has(k))) fail('an error with keys other than code, message, details');
    if (typeof e.code !== 'string' || typeof e.message !== 'string') fail('an error without a string code and message');
    if (HTTP_STATUS_BY_CODE[e.code as ErrorCode] !== res.status) fail(`code ${String(e.code)} does not go with status ${res.status}`);
  }

  /** Remembers what mallory made (later requests name it, DELETEs remove it) and the cursors the lists answered. */
  function remember(req: FuzzRequest, res: RawResponse) {
    if (req.actor !== 'mallory') return;
    if (res.status === 204 && req.method === 'DELETE') {
      for (const pool of Object.values(ctx.disposable) as string[][]) {
        const gone = pool.findIndex((id) => req.path.includes(id));
        if (gone >= 0) pool.splice(gone, 1);
      }
    }
    if (res.status >= 300 || !res.body || !String(res.headers['content-type']).startsWith('application/json')) return;
    const answer = JSON.parse(res.body) as { id?: string; mcpServers?: { id: string }[]; messageId?: string; queueItemId?: string; nextCursor?: string | null };
    if (res.status === 201 && answer.id) {
      if (req.route === 'POST /v1/harnesses') {
        ctx.disposable.harness.push(answer.id);
        ctx.disposable.server.push(...(answer.mcpServers ?? []).map((s) => s.id));
      } else ctx.disposable.conversation.push(answer.id);
    }
    if (answer.messageId) ctx.disposable.message.push(answer.messageId);
    if (answer.queueItemId) {
      ctx.disposable.queueItem.push(answer.queueItemId);
      const conversationId = /^\/v1\/conversations\/([^/?]+)\//.exec(req.path)?.[1];
      if (conversationId) ctx.queued.set(answer.queueItemId, conversationId);
    }
    if (answer.nextCursor) ctx.cursors.set(req.route, [...(ctx.cursors.get(req.route) ?? []), answer.nextCursor]);
  }

  async function exercise(req: FuzzRequest) {
    let res: RawResponse;
    try {
      res = await sendRaw(system.gatewayUrl, req);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n  request: ${describeRequest(req)}`, { cause: err });
    }
    if (process.env.FUZZ_DEBUG && req.route.includes(process.env.FUZZ_DEBUG)) console.log(`${res.status} ${describeRequest(req)} → ${res.body.slice(0, 300)}`);
    const statuses = seen.get(req.route) ?? new Map<number, number>();
    seen.set(req.route, statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1));
    check(req, res);
    remember(req, res);
  }

  const routes = buildRoutes(ctx);
  it.each(Object.keys(routes).map((name, i) => [name, i] as const))('%s: every input gets a clear answer', async (name, i) => {
    const seed = SEED + i;
    try {
      await fc.assert(fc.asyncProperty(routes[name](), exercise), { seed, numRuns: RUNS_PER_ROUTE, endOnFailure: true });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(`${name}: replay with FUZZ_SEED=${SEED} (this route's seed ${seed})\n${cause instanceof Error ? cause.message : ''}\n${(err as Error).message}`, { cause: err });
    }
  }, 60_000);

  it('concurrently: requests of every route at once (races of sends, deletes, interrupts, streams) get clear answers', async () => {
    const seed = SEED + Object.keys(routes).length;
    const anyRequest = fc.oneof(...Object.values(routes).map((r) => r()));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(anyRequest, { minLength: 4, maxLength: 12 }), async (batch) => {
          await Promise.all(batch.map(exercise));
        }),
        { seed, numRuns: Math.max(1, Math.round(RUNS_PER_ROUTE / 2)), endOnFailure: true },
      );
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(`concurrent: replay with FUZZ_SEED=${SEED} (seed ${seed})\n${cause instanceof Error ? cause.message : ''}\n${(err as Error).message}`, { cause: err });
    }
  }, 60_000);

  it('afterwards: every service is the process it was and ready, users still chat, and alice lost nothing', async () => {
    const stillUp = await Promise.all(services.map((p) => Promise.race([p.exited.then(() => p.name), Promise.resolve(null)])));
    expect(stillUp.filter(Boolean)).toEqual([]);
    expect((await fetch(`${system.gatewayUrl}/readyz`)).status).toBe(200);

    const harness = await alice.call('GET', `/v1/harnesses/${ctx.theirs.harness[0]}`);
    expect(harness.body).toMatchObject({ name: marker.alice, systemPrompt: marker.alice, mcpServers: [{ id: ctx.theirs.server[0], authType: 'bearer', hasAuthToken: true }] });
    expect((await alice.call('GET', `/v1/conversations/${ctx.theirs.conversation[0]}`)).body).toMatchObject({ title: marker.alice });
    expect((await alice.messages(ctx.theirs.conversation[0])).map((m) => m.id).slice(0, ctx.theirs.message.length)).toEqual(ctx.theirs.message);

    expect(textOf(await chatToEnd(alice, await alice.newConversation(), 'still there?'))).toBe('Echo: still there?');
    expect(textOf(await chatToEnd(mallory, await mallory.newConversation(), 'me too'))).toBe('Echo: me too');

    const total = [...seen.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    const lines = [...seen].map(([route, m]) => `  ${route}: ${[...m].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}`);
    console.log(`fuzz-api: ${total} requests, FUZZ_SEED=${SEED}\n${lines.join('\n')}`);
  }, 60_000);
});
