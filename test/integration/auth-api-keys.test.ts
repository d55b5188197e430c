// The auth service's API key commands (a real process over NATS, real Postgres): create, list, revoke, verify,
// expiry, the per-user cap, per-user isolation, lastUsedAt's resolution, and keys stored only as their SHA-256.
import { hashApiKey, isApiKey } from '@harness/contracts';
import { waitFor } from '@harness/testing';
import { ok, scanDatabase, startAuthSystem, type AuthSystem } from './support/auth-oauth.js';

const MAX_PER_USER = 3;
let sys: AuthSystem;

beforeAll(async () => {
  sys = await startAuthSystem('auth-api-keys', 1, { env: { HARNESS_API_KEYS_MAX_PER_USER: String(MAX_PER_USER) } });
}, 60_000);

afterAll(async () => {
  await sys?.stop();
});

describe('auth service: API keys', () => {
  test('create returns an hk_ key once; verify names its user; list shows no key material; revoke makes it unknown', async () => {
    const userId = 'keys-basic';
    const created = ok(await sys.auth.createApiKey({ userId, name: 'ci' }));
    expect(isApiKey(created.key)).toBe(true);
    expect(created).toMatchObject({ name: 'ci', expiresAt: null });

    const verified = ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(created.key) }));
    expect(verified).toEqual({ valid: true, userId, keyId: created.id, expiresAt: null });

    const list = ok(await sys.auth.listApiKeys({ userId, limit: 10 }));
    expect(list.nextCursor).toBeNull();
    expect(list.items).toEqual([expect.objectContaining({ id: created.id, name: 'ci', createdAt: created.createdAt, expiresAt: null })]);
    expect(list.items[0]!.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list)).not.toContain(created.key.slice(3));
    expect(JSON.stringify(list)).not.toContain(hashApiKey(created.key));

    // At rest: the hash, never the key (nor a trivial encoding of it).
    const scan = await scanDatabase(sys.system.databaseUrl, [created.key, created.key.slice(3)]);
    expect(scan.findings).toEqual([]);
    expect(scan.rowsWith(hashApiKey(created.key)).map((r) => r.table)).toEqual(['api_keys']);

    expect(ok(await sys.auth.revokeApiKey({ userId, id: created.id }))).toEqual({ keyHash: hashApiKey(created.key) });
    expect(ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(created.key) }))).toEqual({ valid: false });
    expect(ok(await sys.auth.listApiKeys({ userId, limit: 10 })).items).toEqual([]);
    const again = await sys.auth.revokeApiKey({ userId, id: created.id });
    expect(again.ok ? 'ok' : again.error.code).toBe('not_found');
  });

  test('unknown keys do not verify', async () => {
    expect(ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey('hk_' + 'A'.repeat(43)) }))).toEqual({ valid: false });
  });

  test('another user can neither list, revoke nor be named by a key', async () => {
    const mine = ok(await sys.auth.createApiKey({ userId: 'keys-owner', name: 'mine' }));
    expect(ok(await sys.auth.listApiKeys({ userId: 'keys-intruder', limit: 10 })).items).toEqual([]);
    const r = await sys.auth.revokeApiKey({ userId: 'keys-intruder', id: mine.id });
    expect(r.ok ? 'ok' : r.error.code).toBe('not_found');
    expect(ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(mine.key) }))).toMatchObject({ valid: true, userId: 'keys-owner' });
  });

  test('an expired key does not verify; an expiry in the past is refused', async () => {
    const userId = 'keys-expiry';
    const past = await sys.auth.createApiKey({ userId, name: 'old', expiresAt: new Date(Date.now() - 1_000).toISOString() });
    expect(past.ok ? 'ok' : past.error.code).toBe('validation_failed');

    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const soon = ok(await sys.auth.createApiKey({ userId, name: 'soon', expiresAt }));
    expect(soon.expiresAt).toBe(expiresAt);
    expect(ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(soon.key) })).valid).toBe(true);
    await waitFor(async () => !ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(soon.key) })).valid, { timeoutMs: 10_000, intervalMs: 100, description: 'the key to expire' });
    // Still listed (with its expiry) until deleted.
    expect(ok(await sys.auth.listApiKeys({ userId, limit: 10 })).items).toEqual([expect.objectContaining({ id: soon.id, expiresAt })]);
  });

  test('the per-user cap answers rate_limited with retryAfterSeconds; other users are unaffected; deleting frees a place', async () => {
    const userId = 'keys-cap';
    // Concurrent creates: the cap still holds.
    const replies = await Promise.all(Array.from({ length: MAX_PER_USER + 3 }, (_, i) => sys.auth.createApiKey({ userId, name: `k${i}` })));
    const created = replies.filter((r) => r.ok);
    expect(created).toHaveLength(MAX_PER_USER);
    for (const r of replies.filter((x) => !x.ok)) {
      if (r.ok) continue;
      expect(r.error.code).toBe('rate_limited');
      expect(r.error.details).toMatchObject({ retryAfterSeconds: expect.any(Number), max: MAX_PER_USER });
    }
    ok(await sys.auth.createApiKey({ userId: 'keys-cap-other', name: 'fine' }));
    const first = created[0]!;
    if (!first.ok) throw new Error('unreachable');
    ok(await sys.auth.revokeApiKey({ userId, id: first.data.id }));
    ok(await sys.auth.createApiKey({ userId, name: 'after delete' }));
  });

  test('list is keyset-paginated newest first; a foreign cursor is validation_failed', async () => {
    const userId = 'keys-pages';
    for (const name of ['a', 'b', 'c']) ok(await sys.auth.createApiKey({ userId, name }));
    const all = ok(await sys.auth.listApiKeys({ userId, limit: 10 })).items;
    expect(all).toHaveLength(3);
    const times = all.map((i) => i.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    const p1 = ok(await sys.auth.listApiKeys({ userId, limit: 2 }));
    expect(p1.nextCursor).not.toBeNull();
    const p2 = ok(await sys.auth.listApiKeys({ userId, limit: 2, cursor: p1.nextCursor! }));
    expect(p2.nextCursor).toBeNull();
    expect([...p1.items, ...p2.items].map((i) => i.id)).toEqual(all.map((i) => i.id));
    const bad = await sys.auth.listApiKeys({ userId, limit: 2, cursor: 'not-a-cursor' });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('validation_failed');
  });

  test('lastUsedAt is written at most once a minute per key', async () => {
    const userId = 'keys-last-used';
    const k = ok(await sys.auth.createApiKey({ userId, name: 'busy' }));
    expect(ok(await sys.auth.listApiKeys({ userId, limit: 10 })).items[0]!.lastUsedAt).toBeNull();
    ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(k.key) }));
    const first = ok(await sys.auth.listApiKeys({ userId, limit: 10 })).items[0]!.lastUsedAt;
    expect(first).not.toBeNull();
    for (let i = 0; i < 3; i++) ok(await sys.auth.verifyApiKey({ keyHash: hashApiKey(k.key) }));
    expect(ok(await sys.auth.listApiKeys({ userId, limit: 10 })).items[0]!.lastUsedAt).toBe(first);
  });
});
