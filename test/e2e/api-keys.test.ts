// API keys for programs, end to end: created with a JWT, used as `Authorization: Bearer hk_…` on /v1 routes (JSON
// bodies, SSE), listed without key material, revoked (401 at once), expired (401), per-user isolation, the auth
// service not answering (503 for keys, JWTs unaffected), and the key neither stored nor logged in the clear.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { hashApiKey } from '@harness/contracts';
import { startSystem, waitFor, type System } from '@harness/testing';
import { Client, readUntilTerminals, textOf } from './support/client.js';

const MAX_KEYS = 5;
let system: System;
let alice: Client;
let bob: Client;
const issuedKeys: string[] = [];

beforeAll(async () => {
  system = await startSystem({ label: 'api-keys', env: { HARNESS_API_KEYS_MAX_PER_USER: String(MAX_KEYS) } });
  alice = await Client.as(system, 'keys-alice');
  bob = await Client.as(system, 'keys-bob');
}, 90_000);

afterAll(async () => {
  await system?.stop();
});

async function createKey(owner: Client, body: Record<string, unknown> = { name: 'ci' }): Promise<{ id: string; name: string; key: string; expiresAt: string | null }> {
  const r = await owner.call('POST', '/v1/api-keys', body);
  if (r.status !== 201) throw new Error(`create key: ${r.status} ${JSON.stringify(r.body)}`);
  issuedKeys.push(r.body.key);
  return r.body;
}

describe('API keys', () => {
  test('a key acts as its creator on /v1: JSON bodies (authenticated before the body is read) and an SSE stream', async () => {
    const created = await createKey(alice, { name: 'deploy bot' });
    expect(created.key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    expect(created.name).toBe('deploy bot');
    const program = new Client(system, created.key);

    const h = await program.createHarness();
    const conv = (await program.createConversation(h.id)).id;
    // Alice (JWT) sees what the key created: the same user.
    expect((await alice.call('GET', `/v1/harnesses/${h.id}`)).status).toBe(200);
    expect((await bob.call('GET', `/v1/harnesses/${h.id}`)).status).toBe(404);

    const stream = await program.events(conv, { after: 0 });
    await program.send(conv, 'hello from a program');
    const events = await readUntilTerminals(stream, 1);
    stream.close();
    expect(textOf(events)).toBe('Echo: hello from a program');

    // A program can manage keys too (the new key belongs to the same user).
    const child = await createKey(program, { name: 'made by a key' });
    const listed = (await alice.call('GET', '/v1/api-keys')).body.items.map((i: { id: string }) => i.id);
    expect(listed).toEqual(expect.arrayContaining([created.id, child.id]));
  });

  test('the list shows names and dates, never key material; it is paginated', async () => {
    const a = await createKey(bob, { name: 'first' });
    const b = await createKey(bob, { name: 'second', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const r = await bob.call('GET', '/v1/api-keys');
    expect(r.status).toBe(200);
    expect(r.body.nextCursor).toBeNull();
    expect(r.body.items).toEqual([
      expect.objectContaining({ id: b.id, name: 'second', expiresAt: b.expiresAt, lastUsedAt: null, createdAt: expect.any(String) }),
      expect.objectContaining({ id: a.id, name: 'first', expiresAt: null, lastUsedAt: null }),
    ]);
    const text = JSON.stringify(r.body);
    for (const k of [a, b]) {
      expect(text).not.toContain(k.key.slice(3));
      expect(text).not.toContain(hashApiKey(k.key));
    }
    const page = await bob.call('GET', '/v1/api-keys?limit=1');
    expect(page.body.items).toHaveLength(1);
    const next = await bob.call('GET', `/v1/api-keys?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`);
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect((await bob.call('GET', '/v1/api-keys?limit=0')).status).toBe(400);
    expect((await bob.call('GET', '/v1/api-keys?cursor=nope')).status).toBe(400);
    // Alice sees none of Bob's keys.
    const alices = (await alice.call('GET', '/v1/api-keys')).body.items.map((i: { id: string }) => i.id);
    expect(alices).not.toContain(a.id);
  });

  test('bad create bodies are 400 validation_failed', async () => {
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'ok', expiresAt: 'tomorrow' }, { name: 'ok', extra: 1 },
      { name: 'ok', expiresAt: new Date(Date.now() - 60_000).toISOString() }]) {
      const r = await alice.call('POST', '/v1/api-keys', body);
      expect({ body, status: r.status, code: r.body?.error?.code }).toEqual({ body, status: 400, code: 'validation_failed' });
    }
  });

  test('revoking a key makes it 401 at once; another user\'s key id is 404 and stays valid', async () => {
    const k = await createKey(alice, { name: 'to revoke' });
    const program = new Client(system, k.key);
    expect((await program.call('GET', '/v1/harnesses')).status).toBe(200); // now cached by the gateway

    expect((await bob.call('DELETE', `/v1/api-keys/${k.id}`)).status).toBe(404);
    expect((await program.call('GET', '/v1/harnesses')).status).toBe(200);
    expect((await bob.call('DELETE', '/v1/api-keys/not-a-uuid')).status).toBe(404);

    expect((await alice.call('DELETE', `/v1/api-keys/${k.id}`)).status).toBe(204);
    const after = await program.call('GET', '/v1/harnesses');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    // With a body too (refused before the body is read).
    expect((await program.call('POST', '/v1/harnesses', { name: 'x', model: 'sim/echo' })).status).toBe(401);
    expect((await alice.call('DELETE', `/v1/api-keys/${k.id}`)).status).toBe(404);
  });

  test('an expired key is 401; unknown and malformed keys are 401', async () => {
    const k = await createKey(alice, { name: 'short-lived', expiresAt: new Date(Date.now() + 2_000).toISOString() });
    const program = new Client(system, k.key);
    expect((await program.call('GET', '/v1/harnesses')).status).toBe(200);
    // The gateway's cache never outlives the key's expiry.
    await waitFor(async () => (await program.call('GET', '/v1/harnesses')).status === 401, { timeoutMs: 10_000, intervalMs: 200, description: 'the key to expire' });
    for (const bearer of [`hk_${'A'.repeat(43)}`, 'hk_short', `${k.key}x`]) {
      const r = await new Client(system, bearer).call('GET', '/v1/harnesses');
      expect({ bearer, status: r.status, code: r.body?.error?.code }).toEqual({ bearer, status: 401, code: 'unauthorized' });
    }
  });

  test('the auth service not answering: key requests are 503, JWT requests are unaffected', async () => {
    const k = await createKey(alice, { name: 'never used yet' });
    const program = new Client(system, k.key);
    const auth = system.process('auth');
    auth.kill('SIGSTOP');
    try {
      const r = await program.call('GET', '/v1/harnesses');
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('service_unavailable');
      expect((await alice.call('GET', '/v1/harnesses')).status).toBe(200);
    } finally {
      auth.kill('SIGCONT');
    }
    await waitFor(async () => (await program.call('GET', '/v1/harnesses')).status === 200, { timeoutMs: 20_000, intervalMs: 200, description: 'the key to work again' });
  }, 60_000);

  test('past the per-user cap: 429 rate_limited with Retry-After; other users unaffected', async () => {
    const carol = await Client.as(system, 'keys-carol');
    for (let i = 0; i < MAX_KEYS; i++) await createKey(carol, { name: `k${i}` });
    const r = await carol.call('POST', '/v1/api-keys', { name: 'one too many' });
    expect(r.status).toBe(429);
    expect(r.body.error).toMatchObject({ code: 'rate_limited', details: { max: MAX_KEYS, retryAfterSeconds: expect.any(Number) } });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bob.call('POST', '/v1/api-keys', { name: 'bob is fine' })).status).toBe(201);
  });

  test('keys are stored and logged only hashed: the raw key is in no table and not in the log', async () => {
    expect(issuedKeys.length).toBeGreaterThan(3);
    const client = new pg.Client({ connectionString: system.databaseUrl });
    await client.connect();
    const dump: string[] = [];
    try {
      const tables = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
      for (const { table_name: t } of tables.rows) {
        const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${t.replace(/"/g, '""')}" t`);
        dump.push(...rows.rows.map((r) => `${t}: ${r.row}`));
      }
    } finally {
      await client.end();
    }
    const log = readFileSync(system.logFile, 'utf8');
    for (const key of issuedKeys) {
      const secret = key.slice(3);
      expect(dump.filter((line) => line.includes(secret))).toEqual([]);
      expect(log.includes(secret)).toBe(false);
    }
    // What is stored instead: the hashes, in the auth service's table only (revoked keys are deleted). The scan above
    // would fail if the keys were stored in the clear; this one if they were stored under another name.
    const withHash = issuedKeys.map((k) => dump.filter((l) => l.includes(hashApiKey(k))).map((l) => l.split(':')[0]));
    expect(withHash.filter((tables) => tables.length > 0).length).toBe(issuedKeys.length - 1); // one revoked
    for (const tables of withHash) expect(tables.every((t) => t === 'api_keys')).toBe(true);
  });
});
