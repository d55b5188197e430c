import { randomUUID } from 'node:crypto';
import { startGateway, type TestGateway } from '../support/gateway.js';

// Found by test/e2e/fuzz-api.test.ts: values Postgres cannot store or compare (U+0000 in text, an unpaired surrogate in
// what the chat service stores as JSON, year 0, a seq past an integer) reached the database and came back as 500s.
// They are 400 validation_failed naming the field.

let gw: TestGateway;
let harnessId: string;
let conversationId: string;
beforeAll(async () => {
  gw = await startGateway();
  harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
  conversationId = (await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json()).id;
});
afterAll(async () => {
  await gw?.close();
});

async function expectBadField(path: string, field: string, init: { method?: string; json?: unknown } = {}) {
  const res = await gw.request(path, { user: 'alice', ...init });
  const body = await res.json();
  expect({ status: res.status, code: body.error?.code, path: body.error?.details?.issues?.[0]?.path }).toEqual({ status: 400, code: 'validation_failed', path: field });
}

const cursor = (value: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64url'));

describe('inputs Postgres cannot store are 400 naming the field, not 500', () => {
  it('a NUL character in any string a harness stores', async () => {
    const valid = { name: 'h', model: 'm' };
    const nul = 'a\u0000b';
    await expectBadField('/v1/harnesses', 'name', { method: 'POST', json: { ...valid, name: nul } });
    await expectBadField('/v1/harnesses', 'model', { method: 'POST', json: { ...valid, model: nul } });
    await expectBadField('/v1/harnesses', 'systemPrompt', { method: 'POST', json: { ...valid, systemPrompt: nul } });
    await expectBadField('/v1/harnesses', 'mcpServers.0.name', { method: 'POST', json: { ...valid, mcpServers: [{ name: nul, url: 'http://127.0.0.1:1/' }] } });
    await expectBadField('/v1/harnesses', 'mcpServers.0.url', { method: 'POST', json: { ...valid, mcpServers: [{ name: 's', url: 'http://127.0.0.1:1/\u0000' }] } });
    await expectBadField('/v1/harnesses', 'mcpServers.0.authToken', {
      method: 'POST',
      json: { ...valid, mcpServers: [{ name: 's', url: 'http://127.0.0.1:1/', authType: 'bearer', authToken: nul }] },
    });
    await expectBadField('/v1/harnesses', 'mcps.0', { method: 'POST', json: { ...valid, mcps: ['http://127.0.0.1:1/\u0000'] } });
    const before = await (await gw.request(`/v1/harnesses/${harnessId}`, { user: 'alice' })).json();
    await expectBadField(`/v1/harnesses/${harnessId}`, 'systemPrompt', { method: 'PATCH', json: { systemPrompt: nul } });
    expect(await (await gw.request(`/v1/harnesses/${harnessId}`, { user: 'alice' })).json()).toEqual(before);
  });

  it('a NUL character in a conversation title or a message idempotency key', async () => {
    await expectBadField('/v1/conversations', 'title', { method: 'POST', json: { harnessId, title: '\u0000' } });
    await expectBadField(`/v1/conversations/${conversationId}/messages`, 'clientMessageId', { method: 'POST', json: { content: 'hi', clientMessageId: '\u0000' } });
  });

  it('message text with an unpaired surrogate (a \\ud800 escape in JSON, which jsonb refuses)', async () => {
    await expectBadField(`/v1/conversations/${conversationId}/messages`, 'content', { method: 'POST', json: { content: 'half an emoji \ud83d' } });
    await expectBadField(`/v1/conversations/${conversationId}/messages`, 'content', { method: 'POST', json: { content: '\udc00 alone' } });
    await expectBadField(`/v1/conversations/${conversationId}/messages`, 'clientMessageId', { method: 'POST', json: { content: 'hi', clientMessageId: 'k\ud800' } });
  });

  it('a usage window outside the years 0001..9999', async () => {
    await expectBadField('/v1/usage?from=0000-01-01T00:00:00Z', 'from');
    await expectBadField(`/v1/usage?to=${encodeURIComponent('0001-01-01T00:00:00+01:00')}`, 'to');
    await expectBadField(`/v1/usage?to=${encodeURIComponent('9999-12-31T23:00:00-02:00')}`, 'to');
    expect((await gw.request(`/v1/usage?from=0001-01-01T00:00:00Z&to=${encodeURIComponent('9999-12-31T23:59:59.999Z')}`, { user: 'alice' })).status).toBe(200);
  });

  it('a forged cursor whose sort key is out of its column’s range', async () => {
    await expectBadField(`/v1/harnesses?cursor=${cursor(['0000-01-01T00:00:00.000Z', randomUUID()])}`, 'cursor');
    await expectBadField(`/v1/conversations?cursor=${cursor(['0000-06-01T00:00:00.000Z', randomUUID()])}`, 'cursor');
    await expectBadField(`/v1/conversations/${conversationId}/messages?cursor=${cursor(['seq', 2_147_483_648])}`, 'cursor');
    const last = await gw.request(`/v1/conversations/${conversationId}/messages?cursor=${cursor(['seq', 2_147_483_647])}`, { user: 'alice' });
    expect(await last.json()).toEqual({ items: [], nextCursor: null });
  });
});
