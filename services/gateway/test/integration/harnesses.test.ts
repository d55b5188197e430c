import { decryptSecret, createKeyring } from '@harness/crypto';
import { startGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.close();
});

const TOKEN = 'sk-very-secret-token-123';

describe('harnesses', () => {
  it('creates a harness with servers; the bearer token is stored encrypted and never returned', async () => {
    const res = await gw.request('/v1/harnesses', {
      method: 'POST',
      user: 'alice',
      json: {
        name: 'Research',
        model: 'openai/gpt-4o',
        systemPrompt: 'Be brief.',
        mcpServers: [
          { name: 'docs', url: 'https://mcp.example.com/mcp', authType: 'bearer', authToken: TOKEN },
          { name: 'open', url: 'http://localhost:9000/mcp' },
        ],
      },
    });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    const h = JSON.parse(text);
    expect(h).toEqual({
      id: expect.any(String),
      name: 'Research',
      model: 'openai/gpt-4o',
      systemPrompt: 'Be brief.',
      reasoning: null,
      mcpServers: [
        { id: expect.any(String), name: 'docs', url: 'https://mcp.example.com/mcp', authType: 'bearer', hasAuthToken: true },
        { id: expect.any(String), name: 'open', url: 'http://localhost:9000/mcp', authType: 'none', hasAuthToken: false },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const row = await gw.db.pool.query<{ auth_token_enc: string }>('SELECT auth_token_enc FROM mcp_servers WHERE id = $1', [h.mcpServers[0].id]);
    const stored = row.rows[0].auth_token_enc;
    expect(stored).not.toContain(TOKEN);
    expect(stored).toMatch(/^v1\./);
    expect(decryptSecret(stored, createKeyring(gw.config.encryptionKey))).toBe(TOKEN);

    const got = await gw.request(`/v1/harnesses/${h.id}`, { user: 'alice' });
    expect(got.status).toBe(200);
    const gotText = await got.text();
    expect(gotText).not.toContain(TOKEN);
    expect(gotText).not.toContain(stored);
    expect(JSON.parse(gotText)).toEqual(h);
  });

  it('migrates the legacy mcps shape to authType "none" servers, and refuses both shapes at once', async () => {
    const res = await gw.request('/v1/harnesses', {
      method: 'POST',
      user: 'alice',
      json: { name: 'Legacy', model: 'm', mcps: ['https://a.example.com/mcp', 'http://b.example.org:8080/sse'] },
    });
    expect(res.status).toBe(201);
    const h = await res.json();
    expect(h.systemPrompt).toBe('');
    expect(h.mcpServers).toEqual([
      { id: expect.any(String), name: 'a.example.com', url: 'https://a.example.com/mcp', authType: 'none', hasAuthToken: false },
      { id: expect.any(String), name: 'b.example.org', url: 'http://b.example.org:8080/sse', authType: 'none', hasAuthToken: false },
    ]);

    const both = await gw.request('/v1/harnesses', {
      method: 'POST',
      user: 'alice',
      json: { name: 'x', model: 'm', mcps: ['https://a.example.com'], mcpServers: [] },
    });
    expect(both.status).toBe(400);
    expect((await both.json()).error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('mcps') });
  });

  it('validates: token only with bearer, http(s) urls, names the field', async () => {
    const cases = [
      { body: { name: 'x', model: 'm', mcpServers: [{ name: 's', url: 'https://x.example', authType: 'none', authToken: 't' }] }, path: 'mcpServers.0.authToken' },
      { body: { name: 'x', model: 'm', mcpServers: [{ name: 's', url: 'ftp://x.example' }] }, path: 'mcpServers.0.url' },
      { body: { model: 'm' }, path: 'name' },
      { body: { name: 'x', model: 'm', extra: 1 }, path: 'body' },
    ];
    for (const c of cases) {
      const res = await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: c.body });
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error.code).toBe('validation_failed');
      expect(error.message).toContain(c.path);
      expect(error.details.issues[0].path).toBe(c.path);
    }
  });

  it('stores the reasoning effort: returned on create, get, list and PATCH; null clears it; a bad effort is a 400 naming the field', async () => {
    const created = await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'Thinker', model: 'm', reasoning: { effort: 'high' } } });
    expect(created.status).toBe(201);
    const h = await created.json();
    expect(h.reasoning).toEqual({ effort: 'high' });
    const stored = await gw.db.pool.query<{ reasoning_effort: string | null }>('SELECT reasoning_effort FROM harnesses WHERE id = $1', [h.id]);
    expect(stored.rows[0].reasoning_effort).toBe('high');
    expect((await (await gw.request(`/v1/harnesses/${h.id}`, { user: 'alice' })).json()).reasoning).toEqual({ effort: 'high' });
    const listed = (await (await gw.request('/v1/harnesses', { user: 'alice' })).json()) as { items: { id: string; reasoning: unknown }[] };
    expect(listed.items.find((x) => x.id === h.id)!.reasoning).toEqual({ effort: 'high' });

    const renamed = await gw.request(`/v1/harnesses/${h.id}`, { method: 'PATCH', user: 'alice', json: { name: 'Renamed' } });
    expect((await renamed.json()).reasoning).toEqual({ effort: 'high' });
    const lowered = await gw.request(`/v1/harnesses/${h.id}`, { method: 'PATCH', user: 'alice', json: { reasoning: { effort: 'low' } } });
    expect((await lowered.json()).reasoning).toEqual({ effort: 'low' });
    const cleared = await gw.request(`/v1/harnesses/${h.id}`, { method: 'PATCH', user: 'alice', json: { reasoning: null } });
    expect(cleared.status).toBe(200);
    expect((await cleared.json()).reasoning).toBeNull();
    expect((await (await gw.request(`/v1/harnesses/${h.id}`, { user: 'alice' })).json()).reasoning).toBeNull();

    const plain = await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'Plain', model: 'm', reasoning: null } });
    expect((await plain.json()).reasoning).toBeNull();

    for (const [method, url] of [['POST', '/v1/harnesses'], ['PATCH', `/v1/harnesses/${h.id}`]] as const) {
      for (const reasoning of [{ effort: 'extreme' }, {}, 'high']) {
        const res = await gw.request(url, { method, user: 'alice', json: { name: 'x', model: 'm', reasoning } });
        expect(res.status).toBe(400);
        const { error } = await res.json();
        expect(error.code).toBe('validation_failed');
        expect(error.message).toContain('reasoning');
        expect(error.details.issues[0].path).toMatch(/^reasoning/);
      }
    }
    expect((await (await gw.request(`/v1/harnesses/${h.id}`, { user: 'alice' })).json()).reasoning).toBeNull();
  });

  it('PATCH replaces the servers; a server named by id keeps its stored token unless a new one is given', async () => {
    const created = await (
      await gw.request('/v1/harnesses', {
        method: 'POST',
        user: 'alice',
        json: { name: 'P', model: 'm', mcpServers: [{ name: 'a', url: 'https://a.example', authType: 'bearer', authToken: TOKEN }] },
      })
    ).json();
    const [server] = created.mcpServers;
    const before = (await gw.db.pool.query('SELECT auth_token_enc FROM mcp_servers WHERE id = $1', [server.id])).rows[0].auth_token_enc;

    const patched = await gw.request(`/v1/harnesses/${created.id}`, {
      method: 'PATCH',
      user: 'alice',
      json: {
        name: 'P2',
        mcpServers: [
          { id: server.id, name: 'a-renamed', url: 'https://a.example', authType: 'bearer' },
          { name: 'new', url: 'https://n.example', authType: 'bearer' },
        ],
      },
    });
    expect(patched.status).toBe(200);
    const p = await patched.json();
    expect(p.name).toBe('P2');
    expect(p.model).toBe('m');
    expect(p.mcpServers).toEqual([
      { id: server.id, name: 'a-renamed', url: 'https://a.example', authType: 'bearer', hasAuthToken: true },
      { id: expect.any(String), name: 'new', url: 'https://n.example', authType: 'bearer', hasAuthToken: false },
    ]);
    expect(new Date(p.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
    const after = (await gw.db.pool.query('SELECT auth_token_enc FROM mcp_servers WHERE id = $1', [server.id])).rows[0].auth_token_enc;
    expect(after).toBe(before);

    // The stored token never follows the server to another URL: a new URL needs a new token.
    const moved = await gw.request(`/v1/harnesses/${created.id}`, {
      method: 'PATCH',
      user: 'alice',
      json: { mcpServers: [{ id: server.id, name: 'a', url: 'https://attacker.example', authType: 'bearer' }] },
    });
    expect(moved.status).toBe(400);
    expect((await moved.json()).error.details.issues[0].path).toBe('mcpServers.0.authToken');
    const unchanged = (await gw.db.pool.query('SELECT url, auth_token_enc FROM mcp_servers WHERE id = $1', [server.id])).rows[0];
    expect(unchanged).toEqual({ url: 'https://a.example', auth_token_enc: before });

    // Switching it to "none" drops the token; an id of no server of this harness is refused.
    const none = await (
      await gw.request(`/v1/harnesses/${created.id}`, { method: 'PATCH', user: 'alice', json: { mcpServers: [{ id: server.id, name: 'a', url: 'https://a.example', authType: 'none' }] } })
    ).json();
    expect(none.mcpServers).toEqual([{ id: server.id, name: 'a', url: 'https://a.example', authType: 'none', hasAuthToken: false }]);
    const unknown = await gw.request(`/v1/harnesses/${created.id}`, {
      method: 'PATCH',
      user: 'alice',
      json: { mcpServers: [{ id: '6f1c1a56-2f0e-4b8e-9d6a-0c7d1b9e2a11', name: 'a', url: 'https://a.example' }] },
    });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error.details.issues[0].path).toBe('mcpServers.0.id');

    // Without mcpServers, the servers stay.
    const kept = await (await gw.request(`/v1/harnesses/${created.id}`, { method: 'PATCH', user: 'alice', json: { model: 'm2' } })).json();
    expect(kept.mcpServers).toHaveLength(1);
    expect(kept.model).toBe('m2');
  });

  it('lists newest first, deletes with 204, and keeps users apart (404, never 403)', async () => {
    const mk = async (user: string, name: string) =>
      (await (await gw.request('/v1/harnesses', { method: 'POST', user, json: { name, model: 'm' } })).json()) as { id: string };
    const first = await mk('carol', 'first');
    const second = await mk('carol', 'second');
    const bobs = await mk('bob', 'bob-only');

    const list = await (await gw.request('/v1/harnesses', { user: 'carol' })).json();
    expect(list.items.map((h: { name: string }) => h.name)).toEqual(['second', 'first']);

    for (const [method, json] of [['GET'], ['PATCH', { name: 'stolen' }], ['DELETE']] as const) {
      const res = await gw.request(`/v1/harnesses/${bobs.id}`, { method, user: 'carol', json });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    expect((await (await gw.request(`/v1/harnesses/${bobs.id}`, { user: 'bob' })).json()).name).toBe('bob-only');

    const del = await gw.request(`/v1/harnesses/${first.id}`, { method: 'DELETE', user: 'carol' });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');
    expect((await gw.request(`/v1/harnesses/${first.id}`, { user: 'carol' })).status).toBe(404);
    expect((await gw.request(`/v1/harnesses/not-a-uuid`, { user: 'carol' })).status).toBe(404);
    expect((await (await gw.request('/v1/harnesses', { user: 'carol' })).json()).items.map((h: { id: string }) => h.id)).toEqual([second.id]);
  });
});
