import { randomBytes } from 'node:crypto';
import { startSystem, waitFor, type ServiceName, type System } from '@harness/testing';
import { Client, readUntilTerminals, sim, textOf, type ApiResponse } from './support/client.js';

/**
 * A hostile user with a valid account against the per-user limits (small ones, through `env`): every refusal is a 429
 * in the error format with Retry-After, taken before anything is done, while another user's conversation runs normally
 * and every service stays up.
 */
describe('abuse limits', () => {
  let system: System;
  let alice: Client;
  let mallory: Client;
  let pids: Record<ServiceName, number>;
  const SERVICES: ServiceName[] = ['gateway', 'chat', 'mcp-broker', 'auth'];

  beforeAll(async () => {
    system = await startSystem({
      label: 'abuse',
      env: {
        HARNESS_MAX_STREAMS_PER_USER: '3',
        HARNESS_RATE_LIMIT_MESSAGES: '5/1m',
        HARNESS_RATE_LIMIT_TOOL_LISTS: '3/1m',
        HARNESS_MAX_HARNESSES_PER_USER: '2',
        HARNESS_MAX_CONVERSATIONS_PER_USER: '3',
        HARNESS_RATE_LIMIT_AUTH_FAILURES: '5/1m',
      },
    });
    alice = await Client.as(system, 'alice');
    mallory = await Client.as(system, 'mallory');
    pids = Object.fromEntries(SERVICES.map((s) => [s, system.process(s).pid])) as Record<ServiceName, number>;
  }, 90_000);
  afterAll(() => system?.stop());

  const expectLimited = (r: ApiResponse, limit: string) => {
    expect({ status: r.status, code: r.body?.error?.code, limit: r.body?.error?.details?.limit }).toEqual({ status: 429, code: 'rate_limited', limit });
    expect(typeof r.body.error.message).toBe('string');
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(r.body.error.details.retryAfterSeconds).toBe(retryAfter);
  };

  /** A request whose answer is expected at once (a refused stream); a stream that opened instead fails the test. */
  const quick = async (client: Client, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await fetch(`${system.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${client.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };

  it("refuses mallory's streams, creates and requests past the limits while alice's conversation runs normally; every service stays up", async () => {
    // Alice: a run streaming for a while (~6 s), followed on her own event stream.
    const aliceConv = await alice.newConversation();
    const aliceStream = await alice.events(aliceConv, { after: 0 });
    await alice.send(aliceConv, sim('steady', { text: 600, tokensPerSecond: 100 }));

    // Mallory: the stream cap (3 open), on the events route and on a message that would stream.
    const harnessId = (await mallory.createHarness()).id;
    const conv = (await mallory.createConversation(harnessId)).id;
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await mallory.events(conv));
    const refusedStreams = await Promise.all(Array.from({ length: 20 }, () => quick(mallory, 'GET', `/v1/conversations/${conv}/events`)));
    for (const r of refusedStreams) expectLimited(r, 'streams');
    expect(refusedStreams[0].body.error.details).toEqual({ limit: 'streams', max: 3, retryAfterSeconds: 5 });
    expectLimited(await quick(mallory, 'POST', `/v1/conversations/${conv}/messages`, { content: 'stream me' }, { accept: 'text/event-stream' }), 'streams');
    expect(await mallory.messages(conv)).toEqual([]); // the refused message was never sent
    expect((await alice.conversation(aliceConv)).activeRunId).not.toBeNull(); // all this while alice's run goes on

    // The caps on what mallory owns.
    expect((await mallory.call('POST', '/v1/harnesses', { name: 'second', model: 'sim/echo' })).status).toBe(201);
    expectLimited(await mallory.call('POST', '/v1/harnesses', { name: 'third', model: 'sim/echo' }), 'harnesses');
    for (let i = 0; i < 2; i++) await mallory.createConversation(harnessId);
    expectLimited(await mallory.call('POST', '/v1/conversations', { harnessId }), 'conversations');

    // Hammering costly endpoints: tool listings (3/min), then messages (5/min).
    const listings = await Promise.all(Array.from({ length: 10 }, () => mallory.call('GET', `/v1/harnesses/${harnessId}/tools`)));
    expect(listings.filter((r) => r.status === 200).length).toBe(3);
    expect(listings.find((r) => r.status === 200)!.body).toEqual({ items: [], errors: [], nextCursor: null });
    for (const r of listings.filter((r) => r.status !== 200)) expectLimited(r, 'toolLists');
    const sends = await Promise.all(Array.from({ length: 12 }, (_, i) => mallory.call('POST', `/v1/conversations/${conv}/messages`, { content: `spam ${i}` })));
    // 4, not 5: the refused streaming POST above counted too (a request is counted before it is looked at).
    expect(sends.filter((r) => r.status === 202).length).toBe(4);
    for (const r of sends.filter((r) => r.status !== 202)) expectLimited(r, 'messages');
    const messagesLimit = sends.find((r) => r.status === 429)!;
    expect(Number(messagesLimit.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // Alice was never refused anything and her run ended normally, streamed in full.
    const events = await readUntilTerminals(aliceStream, 1, 30_000);
    aliceStream.close();
    expect(events.at(-1)!.chunk.type).toBe('finish');
    expect(textOf(events).length).toBeGreaterThan(0);
    const [, answer] = await alice.messages(aliceConv);
    expect(answer).toMatchObject({ role: 'assistant', status: 'complete' });
    expect((await alice.call('GET', `/v1/harnesses`)).body.items.length).toBe(1);

    // Closing a stream gives mallory a slot back.
    open[0].close();
    await waitFor(
      async () => {
        const res = await fetch(`${system.gatewayUrl}/v1/conversations/${conv}/events`, { headers: { authorization: `Bearer ${mallory.token}` }, signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        return res.status === 200;
      },
      { timeoutMs: 5_000, description: 'a stream slot freed by closing a stream' },
    );
    for (const s of open) s.close();

    // Every service is up, and none was restarted.
    const ready = await fetch(`${system.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    for (const s of SERVICES) expect(system.process(s).pid).toBe(pids[s]);
  }, 90_000);

  it('guessing API keys or sessions from one address: 401 each until the limit, then 429 without asking the auth service; known credentials keep working', async () => {
    const made = await mallory.call('POST', '/v1/api-keys', { name: 'guessing' });
    expect(made.status).toBe(201);
    const own = new Client(system, made.body.key);
    expect((await own.call('GET', '/v1/me')).status).toBe(200); // verified once: now cached on the gateway

    const guess = () => new Client(system, `hk_${randomBytes(32).toString('base64url')}`);
    for (let i = 0; i < 5; i++) expect((await guess().call('GET', '/v1/harnesses')).status).toBe(401);
    expectLimited(await guess().call('GET', '/v1/harnesses'), 'authFailures');
    // A guessed session cookie is refused the same way, before the auth service is asked.
    const cookie = await fetch(`${system.gatewayUrl}/v1/me`, { headers: { cookie: `harness_session=${randomBytes(32).toString('base64url')}` } });
    expect(cookie.status).toBe(429);
    expect(((await cookie.json()) as { error: { details: { limit: string } } }).error.details.limit).toBe('authFailures');
    // What was verified before, and tokens the gateway checks alone, are not affected.
    expect((await own.call('GET', '/v1/me')).status).toBe(200);
    expect((await alice.call('GET', '/v1/me')).status).toBe(200);
    for (const s of SERVICES) expect(system.process(s).pid).toBe(pids[s]);
  });
});
