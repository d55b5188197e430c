import { SignJWT } from 'jose';
import { signToken, startSystem, type System } from '@harness/testing';
import { Client, readUntilTerminals } from './support/client.js';

/** Per-user isolation and the error contract for bad input. */
describe('isolation and bad input', () => {
  let system: System;
  let alice: Client;
  let mallory: Client;
  let conv: string;
  let harnessId: string;

  beforeAll(async () => {
    system = await startSystem({ label: 'errors' });
    alice = await Client.as(system, 'alice');
    mallory = await Client.as(system, 'mallory');
    const h = await alice.createHarness({ mcpServers: [{ name: 'private', url: 'https://mcp.example.com/mcp', authType: 'bearer', authToken: 'alice-secret-token' }] });
    harnessId = h.id;
    conv = (await alice.createConversation(harnessId)).id;
    const s = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'mine');
    await readUntilTerminals(s);
    s.close();
  }, 90_000);
  afterAll(() => system?.stop());

  const expectError = (r: { status: number; body: any }, status: number, code: string) => {
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
    expect(typeof r.body.error.message).toBe('string');
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  };

  it("another user's resources are 404 everywhere", async () => {
    const paths: [string, string, unknown?][] = [
      ['GET', `/v1/harnesses/${harnessId}`],
      ['PATCH', `/v1/harnesses/${harnessId}`, { name: 'stolen' }],
      ['DELETE', `/v1/harnesses/${harnessId}`],
      ['GET', `/v1/conversations/${conv}`],
      ['GET', `/v1/conversations/${conv}/messages`],
      ['GET', `/v1/conversations/${conv}/events?after=0`],
      ['POST', `/v1/conversations/${conv}/messages`, { content: 'hi' }],
      ['POST', `/v1/conversations/${conv}/interrupt`],
      ['GET', `/v1/conversations/${conv}/queue`],
      ['DELETE', `/v1/conversations/${conv}`],
      ['POST', '/v1/conversations', { harnessId }],
    ];
    for (const [method, path, body] of paths) expectError(await mallory.call(method, path, body), 404, 'not_found');
    expect((await mallory.call('GET', '/v1/harnesses')).body.items).toEqual([]);
    expect((await mallory.call('GET', '/v1/conversations')).body.items).toEqual([]);
    expect((await mallory.call('GET', '/v1/usage')).body.completionTokens).toBe(0);
    // Nothing of alice's changed.
    expect((await alice.messages(conv)).length).toBe(2);
    expect((await alice.call('GET', `/v1/harnesses/${harnessId}`)).body.name).toBe('Test harness');
  });

  it('never returns or stores a bearer token in clear', async () => {
    const h = (await alice.call('GET', `/v1/harnesses/${harnessId}`)).body;
    expect(h.mcpServers).toEqual([{ id: expect.any(String), name: 'private', url: 'https://mcp.example.com/mcp', authType: 'bearer', hasAuthToken: true }]);
    expect(JSON.stringify((await alice.call('GET', '/v1/harnesses')).body)).not.toContain('alice-secret-token');
    const dump = await system.db.pool.query("SELECT string_agg(row_to_json(m)::text, ' ') AS t FROM mcp_servers m");
    expect(dump.rows[0].t).not.toContain('alice-secret-token');
  });

  it('migrates the legacy mcps shape', async () => {
    const r = await alice.call('POST', '/v1/harnesses', { name: 'legacy', model: 'sim/echo', mcps: ['https://a.example.com/mcp'] });
    expect(r.status).toBe(201);
    expect(r.body.mcpServers).toEqual([expect.objectContaining({ url: 'https://a.example.com/mcp', authType: 'none', hasAuthToken: false })]);
  });

  it('bad input gets the right status and code', async () => {
    const base = `/v1/conversations/${conv}/messages`;
    expectError(await alice.call('POST', base, { content: '' }), 400, 'validation_failed');
    expectError(await alice.call('POST', base, { content: 'a\u0000b' }), 400, 'validation_failed');
    expectError(await alice.call('POST', base, { content: 'x'.repeat(100_001) }), 413, 'payload_too_large');
    expectError(await alice.call('POST', base, JSON.stringify({ content: 'x'.repeat(1024 * 1024 + 10) })), 413, 'payload_too_large');
    expectError(await alice.call('POST', base, '{"content": "unterminated'), 400, 'invalid_json');
    expectError(await alice.call('POST', base, 'content=hi', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    expectError(await alice.call('POST', base, { content: 'hi', extra: true }), 400, 'validation_failed');
    expectError(await alice.call('GET', '/v1/conversations/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await alice.call('GET', '/v1/conversations/not-a-uuid'), 404, 'not_found');
    expectError(await alice.call('POST', '/v1/harnesses', { name: 'x', model: 'm', mcpServers: [{ name: 's', url: 'ftp://x', authType: 'none' }] }), 400, 'validation_failed');
    expectError(await alice.call('POST', '/v1/harnesses', { name: 'x', model: 'm', mcpServers: [{ name: 's', url: 'https://x', authType: 'none', authToken: 't' }] }), 400, 'validation_failed');
    expectError(await alice.call('POST', `/v1/conversations/${conv}/queue/00000000-0000-4000-8000-000000000000/send-now`), 404, 'not_found');
    expectError(await alice.call('GET', '/v1/no-such-route'), 404, 'not_found');
    // Nothing was stored by the rejected sends.
    expect((await alice.messages(conv)).length).toBe(2);
  });

  it('rejects missing, malformed, expired and wrongly signed tokens with 401', async () => {
    const url = `${system.gatewayUrl}/v1/harnesses`;
    const key = new TextEncoder().encode(system.jwtSecret);
    const badSub = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('bad user!').setExpirationTime('1h').sign(key);
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(key);
    const tokens = [
      undefined,
      'Bearer',
      'Bearer not.a.jwt',
      `Bearer ${await signToken('wrong-secret-wrong-secret', 'alice', '1h')}`,
      `Bearer ${await signToken(system.jwtSecret, 'alice', -10)}`,
      `Bearer ${badSub}`,
      `Bearer ${noExp}`,
    ];
    for (const auth of tokens) {
      const res = await fetch(url, { headers: auth ? { authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect((await fetch(`${system.gatewayUrl}/healthz`)).status).toBe(200);
  });
});
