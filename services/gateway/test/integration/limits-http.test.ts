import { readSse, waitFor, type SseStream } from '@harness/testing';
import { FakeChat } from '../support/fake-chat.js';
import { startGateway, type JsonResponse, type TestGateway } from '../support/gateway.js';

/** The per-user limits through HTTP: 429 `rate_limited` with Retry-After and the error body, before anything happens. */
let gw: TestGateway;
let chat: FakeChat;
beforeAll(async () => {
  gw = await startGateway({
    SSE_HEARTBEAT_MS: '200',
    HARNESS_MAX_STREAMS_PER_USER: '2',
    HARNESS_RATE_LIMIT_MESSAGES: '3/1m',
    HARNESS_RATE_LIMIT_HARNESS_WRITES: '8/1m',
    HARNESS_RATE_LIMIT_CONVERSATION_CREATES: '6/1m',
    HARNESS_MAX_HARNESSES_PER_USER: '3',
    HARNESS_MAX_CONVERSATIONS_PER_USER: '3',
    HARNESS_RATE_LIMIT_OAUTH_STARTS: '3/1m',
  });
  chat = await new FakeChat(gw).ready();
});
afterAll(async () => {
  await chat?.stop();
  await gw?.close();
});

const harnessOf = async (user: string): Promise<string> => {
  const res = await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } });
  expect(res.status).toBe(201);
  return (await res.json()).id;
};
const conversationOf = async (user: string, harnessId: string): Promise<string> => {
  const res = await gw.request('/v1/conversations', { method: 'POST', user, json: { harnessId } });
  expect(res.status).toBe(201);
  return (await res.json()).id;
};
const openEvents = async (user: string, conversationId: string, signal?: AbortSignal): Promise<SseStream> =>
  readSse(`${gw.url}/v1/conversations/${conversationId}/events`, { token: await gw.token(user), signal });

/** A 429 in the error format, with Retry-After; returns the error's details. */
async function expectLimited(res: JsonResponse, limit: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  const body = await res.json();
  expect(body).toEqual({ error: { code: 'rate_limited', message: expect.any(String), details: expect.objectContaining({ limit }) } });
  expect(body.error.details.retryAfterSeconds).toBe(retryAfter);
  return body.error.details;
}

describe('open event streams per user', () => {
  it('refuses a stream past the cap before any header or command, on every SSE route; others are unaffected; closing one frees a slot', async () => {
    const user = 'streamer';
    const conv = await conversationOf(user, await harnessOf(user));
    const first = new AbortController();
    const streams = [await openEvents(user, conv, first.signal), await openEvents(user, conv)];
    expect(streams.every((s) => s.response.status === 200)).toBe(true);

    const refused = await gw.request(`/v1/conversations/${conv}/events`, { user });
    expect(await expectLimited(refused, 'streams')).toEqual({ limit: 'streams', max: 2, retryAfterSeconds: 5 });
    expect(refused.headers.get('retry-after')).toBe('5');

    // A message that would stream is not sent at all.
    const sentBefore = chat.received.length;
    const post = await gw.request(`/v1/conversations/${conv}/messages`, { method: 'POST', user, json: { content: 'hi' }, headers: { accept: 'text/event-stream' } });
    await expectLimited(post, 'streams');
    const aiSdk = await gw.request('/v1/chat', { method: 'POST', user, json: { id: conv, messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] } });
    await expectLimited(aiSdk, 'streams');
    expect(chat.received.length).toBe(sentBefore);
    expect((await (await gw.request(`/v1/conversations/${conv}/messages`, { user })).json()).items).toEqual([]);

    // Another user streams as usual meanwhile.
    const other = 'bystander';
    const otherConv = await conversationOf(other, await harnessOf(other));
    const otherStream = await readSse(`${gw.url}/v1/conversations/${otherConv}/messages`, { token: await gw.token(other), body: { content: 'hello' } });
    expect((await otherStream.collectAll()).length).toBeGreaterThan(0);

    first.abort();
    await waitFor(async () => {
      const res = await gw.request(`/v1/conversations/${conv}/events`, { user, signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) {
        await res.body?.cancel();
        return true;
      }
      await res.body?.cancel();
      return false;
    }, { timeoutMs: 5_000, intervalMs: 50 });
    for (const s of streams) s.close();
  });

  it('the AI SDK reconnect (GET /v1/chat/:id/stream) takes a slot too', async () => {
    const user = 'resumer';
    const conv = await conversationOf(user, await harnessOf(user));
    chat.autoRun = false;
    try {
      expect((await gw.request(`/v1/conversations/${conv}/messages`, { method: 'POST', user, json: { content: 'hold on' } })).status).toBe(202);
      const streams = [await openEvents(user, conv), await openEvents(user, conv)];
      await expectLimited(await gw.request(`/v1/chat/${conv}/stream`, { user }), 'streams');
      streams[0].close();
      await waitFor(async () => {
        const res = await gw.request(`/v1/chat/${conv}/stream`, { user, signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200;
      }, { timeoutMs: 5_000, intervalMs: 50 });
      streams[1].close();
    } finally {
      chat.autoRun = true;
      chat.release();
    }
  });

  it('refusals are counted in /metrics by limit', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const refused = /^limit_rejections_total\{limit="streams"\} (\d+)$/m.exec(text);
    expect(Number(refused?.[1])).toBeGreaterThan(0);
  });
});

describe('rate limits', () => {
  it('the 4th message within the window is 429 (sending and regenerating share the budget); another user is not affected', async () => {
    const user = 'chatty';
    const conv = await conversationOf(user, await harnessOf(user));
    for (let i = 0; i < 3; i++) {
      const res = await gw.request(`/v1/conversations/${conv}/messages`, { method: 'POST', user, json: { content: `m${i}` } });
      expect(res.status).toBe(202);
      await waitFor(async () => (await (await gw.request(`/v1/conversations/${conv}`, { user })).json()).activeRunId === null);
    }
    const details = await expectLimited(await gw.request(`/v1/conversations/${conv}/messages`, { method: 'POST', user, json: { content: 'one too many' } }), 'messages');
    expect(details).toMatchObject({ points: 3, durationSeconds: 60 });
    expect(details.retryAfterSeconds).toBeLessThanOrEqual(60);
    const assistant = (await (await gw.request(`/v1/conversations/${conv}/messages`, { user })).json()).items.find((m: { role: string }) => m.role === 'assistant');
    await expectLimited(await gw.request(`/v1/conversations/${conv}/messages/${assistant.id}/regenerate`, { method: 'POST', user }), 'messages');

    const other = 'quiet';
    const otherConv = await conversationOf(other, await harnessOf(other));
    expect((await gw.request(`/v1/conversations/${otherConv}/messages`, { method: 'POST', user: other, json: { content: 'hi' } })).status).toBe(202);
  });

  it('creating conversations and writing harnesses have budgets of their own', async () => {
    const user = 'flooder';
    const harnessId = await harnessOf(user);
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await gw.request('/v1/conversations', { method: 'POST', user, json: { harnessId } });
      statuses.push(res.status === 429 ? (await res.json()).error.details.limit : res.status);
    }
    expect(statuses).toEqual([201, 201, 201, 'conversations', 'conversations', 'conversations', 'conversationCreates']);
    for (let i = 0; i < 7; i++) expect((await gw.request(`/v1/harnesses/${harnessId}`, { method: 'PATCH', user, json: { name: `n${i}` } })).status).toBe(200);
    await expectLimited(await gw.request(`/v1/harnesses/${harnessId}`, { method: 'PATCH', user, json: { name: 'too many' } }), 'harnessWrites');
    expect((await gw.request(`/v1/harnesses/${harnessId}`, { user })).status).toBe(200); // reads are not limited
  });

  it('authentication comes first: an unauthenticated request is 401 and spends nothing', async () => {
    const res = await fetch(`${gw.url}/v1/harnesses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"h","model":"m"}' });
    expect(res.status).toBe(401);
  });
});

describe('count caps', () => {
  it('harnesses: the cap holds under concurrent creates, and deleting one makes room', async () => {
    const user = 'racer';
    const results = await Promise.all(Array.from({ length: 6 }, () => gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429, 429]);
    const refusal = results.find((r) => r.status === 429)!;
    expect(await expectLimited(refusal, 'harnesses')).toEqual({ limit: 'harnesses', max: 3, retryAfterSeconds: 60 });
    const rows = await gw.db.pool.query('SELECT id FROM harnesses WHERE user_id = $1', [user]);
    expect(rows.rowCount).toBe(3);
    expect((await gw.request(`/v1/harnesses/${rows.rows[0].id}`, { method: 'DELETE', user })).status).toBe(204);
    expect((await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } })).status).toBe(201);
  });

  it('conversations: the cap counts live ones only, also under concurrent creates', async () => {
    const user = 'talker';
    const harnessId = await harnessOf(user);
    const results = await Promise.all(Array.from({ length: 5 }, () => gw.request('/v1/conversations', { method: 'POST', user, json: { harnessId } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429]);
    await expectLimited(results.find((r) => r.status === 429)!, 'conversations');
    const created = await Promise.all(results.filter((r) => r.status === 201).map((r) => r.json()));
    // Deleted as chat deletes it (the gateway asks chat, absent here): the row is marked.
    await gw.db.pool.query('UPDATE conversations SET deleted_at = now() WHERE id = $1', [created[0].id]);
    expect((await gw.request('/v1/conversations', { method: 'POST', user, json: { harnessId } })).status).toBe(201);
  });
});
