// The auth service's sign-in commands (two real processes over NATS, real Postgres): users and identities (the same
// identity is the same user, also when its first sign-ins race; no linking across providers), sessions (verify with
// its absolute and idle expiry, the sliding idle expiry written at most once a minute, end, end-all, the per-user
// cap), user-get, malformed commands, and tokens never in clear in the database or the logs.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AuthSubjects, hashSessionToken, isSessionToken, UserId, type IdentityProfile, type SignInResult,
} from '@harness/contracts';
import { createKeyring, decryptSecret } from '@harness/crypto';
import { waitFor } from '@harness/testing';
import { ok, scanDatabase, startAuthSystem, type AuthSystem } from './support/auth-oauth.js';

const MAX_PER_USER = 3;
const DAY_MS = 86_400_000;
let sys: AuthSystem;
/** Every session token and ID token handed out or sent here: none may be in the database or a log line in clear. */
const sessionTokens: string[] = [];
const idTokens: string[] = [];

beforeAll(async () => {
  // trace: whatever the code hands the logger is written, so the log check below covers every level.
  sys = await startAuthSystem('auth-sign-in', 2, { env: { HARNESS_SESSIONS_MAX_PER_USER: String(MAX_PER_USER), LOG_LEVEL: 'trace' } });
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

const profile = (name: string, extra: Partial<IdentityProfile> = {}): IdentityProfile => ({
  name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`, emailVerified: true, avatarUrl: `https://img.example.com/${encodeURIComponent(name)}.png`, ...extra,
});
/** An ID token as a provider would send one (a JWT's shape, random content). */
const newIdToken = (): string => {
  const t = ['eyJhbGciOiJSUzI1NiJ9', randomBytes(120).toString('base64url'), randomBytes(64).toString('base64url')].join('.');
  idTokens.push(t);
  return t;
};
const subjectOf = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

async function signIn(providerId: string, subject: string, p: IdentityProfile, extra: { idToken?: string; userAgent?: string } = {}): Promise<SignInResult> {
  const r = ok(await sys.auth.signIn({ providerId, subject, profile: p, ...extra }), 'sign-in');
  sessionTokens.push(r.sessionToken);
  return r;
}
const verify = async (token: string) => ok(await sys.auth.verifySession({ tokenHash: hashSessionToken(token) }), 'verify');
const q = <R extends object>(sql: string, params: unknown[] = []) => sys.system.db.pool.query<R & Record<string, unknown>>(sql, params).then((r) => r.rows);
const sessionRow = async (token: string) =>
  (await q<{ id: string; user_id: string; provider_id: string; id_token_enc: string | null; user_agent: string | null; last_seen_at: Date; idle_expires_at: Date; expires_at: Date }>(
    'SELECT * FROM sessions WHERE token_hash = $1', [hashSessionToken(token)],
  ))[0];

describe('auth service: sign-in and sessions', () => {
  test('the same identity signs in twice: one user id, the latest profile; verify names the user', async () => {
    const subject = subjectOf('alice');
    const before = Date.now();
    const first = await signIn('dev', subject, profile('Alice'), { userAgent: 'Mozilla/5.0 test' });
    expect(first.created).toBe(true);
    expect(UserId.safeParse(first.user.id).success).toBe(true);
    expect(first.user.id).toMatch(/^u_[a-z2-7]{20}$/);
    expect(isSessionToken(first.sessionToken)).toBe(true);
    expect(first.user).toEqual({ id: first.user.id, ...profile('Alice') });
    // Absolute expiry: HARNESS_SESSION_MAX_AGE_SECONDS' default, 30 days.
    const expiresAt = Date.parse(first.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS + 1_000);
    const row = await sessionRow(first.sessionToken);
    expect(row).toMatchObject({ user_id: first.user.id, provider_id: 'dev', user_agent: 'Mozilla/5.0 test', id_token_enc: null });
    // Idle expiry: HARNESS_SESSION_IDLE_SECONDS' default, 7 days.
    expect(Math.abs(row!.idle_expires_at.getTime() - (row!.last_seen_at.getTime() + 7 * DAY_MS))).toBeLessThan(1_000);

    const renamed = profile('Alice Liddell', { email: 'alice@wonderland.example', emailVerified: false, avatarUrl: null });
    const second = await signIn('dev', subject, renamed);
    expect(second.created).toBe(false);
    expect(second.user).toEqual({ id: first.user.id, ...renamed });
    expect(second.sessionToken).not.toBe(first.sessionToken);

    for (const token of [first.sessionToken, second.sessionToken]) {
      const v = await verify(token);
      expect(v).toEqual({ valid: true, user: { id: first.user.id, ...renamed }, sessionId: expect.any(String), providerId: 'dev', expiresAt: expect.any(String) });
    }
    expect(ok(await sys.auth.getUser({ userId: first.user.id }))).toEqual({ user: { id: first.user.id, ...renamed } });
    expect(await q('SELECT * FROM user_identities WHERE subject = $1', [subject])).toEqual([
      expect.objectContaining({ provider_id: 'dev', user_id: first.user.id, name: 'Alice Liddell', email: 'alice@wonderland.example', email_verified: false }),
    ]);
  });

  test('the same subject and verified e-mail at two providers are two users (no linking by e-mail)', async () => {
    const subject = subjectOf('bob');
    const same = profile('Bob', { email: 'bob@example.com', emailVerified: true });
    const atDev = await signIn('dev', subject, same);
    const atGithub = await signIn('github', subject, same);
    expect(atDev.created).toBe(true);
    expect(atGithub.created).toBe(true);
    expect(atGithub.user.id).not.toBe(atDev.user.id);
    const v = await verify(atGithub.sessionToken);
    expect(v.valid && v.user.id).toBe(atGithub.user.id);
    expect(await q('SELECT id FROM users WHERE email = $1 ORDER BY id', ['bob@example.com'])).toHaveLength(2);
  });

  test('concurrent first sign-ins of one identity (on both replicas) create one user', async () => {
    const subject = subjectOf('carol');
    const attempts = 10;
    // Make the race certain: the test holds a lock on `users` so that no sign-in can create the user until every one
    // of them is in flight and waiting on a lock (the identity's advisory lock, or this one), then lets them all go.
    const blocker = await sys.system.db.pool.connect();
    let results: SignInResult[];
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE users IN EXCLUSIVE MODE');
      const pending = Promise.all(Array.from({ length: attempts }, (_, i) => signIn('dev', subject, profile(`Carol ${i}`))));
      pending.catch(() => undefined);
      await waitFor(
        async () => (await q<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))[0]!.n >= attempts,
        { timeoutMs: 15_000, intervalMs: 20, description: `${attempts} sign-ins waiting on a lock` },
      );
      await blocker.query('COMMIT');
      results = await pending;
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
    const ids = new Set(results.map((r) => r.user.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await q('SELECT user_id FROM user_identities WHERE provider_id = $1 AND subject = $2', ['dev', subject])).toHaveLength(1);
    const [userId] = [...ids];
    expect(await q('SELECT id FROM users WHERE id = $1', [userId])).toHaveLength(1);
    expect(await q('SELECT id FROM users WHERE name LIKE $1', ['Carol %'])).toHaveLength(1);
  });

  test('a session past its absolute or its idle expiry does not verify; unknown ones neither', async () => {
    const subject = subjectOf('dave');
    const a = await signIn('dev', subject, profile('Dave'));
    const b = await signIn('dev', subject, profile('Dave'));
    expect((await verify(a.sessionToken)).valid).toBe(true);
    expect((await verify(b.sessionToken)).valid).toBe(true);
    await q("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [hashSessionToken(a.sessionToken)]);
    await q("UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE token_hash = $1", [hashSessionToken(b.sessionToken)]);
    expect(await verify(a.sessionToken)).toEqual({ valid: false });
    expect(await verify(b.sessionToken)).toEqual({ valid: false });
    expect(await verify(randomBytes(32).toString('base64url'))).toEqual({ valid: false });
  });

  test('verify slides the idle expiry, writing at most once a minute, never past the absolute expiry', async () => {
    const s = await signIn('dev', subjectOf('erin'), profile('Erin'));
    const hash = hashSessionToken(s.sessionToken);
    // Last seen two minutes ago, idle expiry in ten seconds: a verification moves both.
    await q("UPDATE sessions SET last_seen_at = now() - interval '2 minutes', idle_expires_at = now() + interval '10 seconds' WHERE token_hash = $1", [hash]);
    const before = Date.now();
    expect((await verify(s.sessionToken)).valid).toBe(true);
    const slid = (await sessionRow(s.sessionToken))!;
    expect(slid.last_seen_at.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(slid.idle_expires_at.getTime()).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 1_000);

    // Within the minute: no write (a marker idle expiry stays as set).
    const marker = new Date(Date.now() + 3_600_000);
    await q('UPDATE sessions SET idle_expires_at = $2 WHERE token_hash = $1', [hash, marker]);
    for (let i = 0; i < 3; i++) expect((await verify(s.sessionToken)).valid).toBe(true);
    const unchanged = (await sessionRow(s.sessionToken))!;
    expect(unchanged.last_seen_at.getTime()).toBe(slid.last_seen_at.getTime());
    expect(unchanged.idle_expires_at.getTime()).toBe(marker.getTime());

    // Near the absolute expiry the idle one stops there.
    await q("UPDATE sessions SET last_seen_at = now() - interval '2 minutes', expires_at = now() + interval '1 hour' WHERE token_hash = $1", [hash]);
    const v = await verify(s.sessionToken);
    expect(v.valid).toBe(true);
    const capped = (await sessionRow(s.sessionToken))!;
    expect(capped.idle_expires_at.getTime()).toBe(capped.expires_at.getTime());
    expect(v.valid && Date.parse(v.expiresAt)).toBe(capped.expires_at.getTime());
  });

  test('session-end ends one session; session-end-all every session of the user and no one else\'s', async () => {
    const subject = subjectOf('frank');
    const one = await signIn('dev', subject, profile('Frank'));
    const two = await signIn('dev', subject, profile('Frank'));
    const other = await signIn('dev', subjectOf('grace'), profile('Grace'));

    expect(ok(await sys.auth.endSession({ tokenHash: hashSessionToken(one.sessionToken) }))).toEqual({ ended: 1, tokenHashes: [hashSessionToken(one.sessionToken)] });
    expect(await verify(one.sessionToken)).toEqual({ valid: false });
    expect((await verify(two.sessionToken)).valid).toBe(true);
    expect(ok(await sys.auth.endSession({ tokenHash: hashSessionToken(one.sessionToken) }))).toEqual({ ended: 0, tokenHashes: [] });

    const three = await signIn('github', subjectOf('frank-gh'), profile('Frank'));
    const four = await signIn('dev', subject, profile('Frank'));
    const all = ok(await sys.auth.endAllSessions({ userId: one.user.id }));
    expect(all.ended).toBe(2);
    expect([...all.tokenHashes].sort()).toEqual([hashSessionToken(two.sessionToken), hashSessionToken(four.sessionToken)].sort());
    for (const t of [two.sessionToken, four.sessionToken]) expect(await verify(t)).toEqual({ valid: false });
    // Another user (also Frank's identity at another provider: not linked) keeps theirs.
    expect((await verify(other.sessionToken)).valid).toBe(true);
    expect((await verify(three.sessionToken)).valid).toBe(true);
    expect(ok(await sys.auth.endAllSessions({ userId: one.user.id }))).toEqual({ ended: 0, tokenHashes: [] });
    // The user stays: signing in again gives the same id.
    expect((await signIn('dev', subject, profile('Frank'))).user.id).toBe(one.user.id);
  });

  test('past HARNESS_SESSIONS_MAX_PER_USER the oldest sessions end, also when sign-ins race', async () => {
    const subject = subjectOf('heidi');
    const seq: SignInResult[] = [];
    for (let i = 0; i < MAX_PER_USER + 2; i++) seq.push(await signIn('dev', subject, profile('Heidi')));
    const userId = seq[0]!.user.id;
    const valid = await Promise.all(seq.map(async (s) => (await verify(s.sessionToken)).valid));
    expect(valid).toEqual([false, false, ...Array<boolean>(MAX_PER_USER).fill(true)]);
    // Each sign-in past the cap names the session it ended, so the gateway drops it from its cache at once.
    expect(seq.map((s) => s.endedTokenHashes)).toEqual([
      ...Array.from({ length: MAX_PER_USER }, () => []), [hashSessionToken(seq[0]!.sessionToken)], [hashSessionToken(seq[1]!.sessionToken)],
    ]);
    expect(await q('SELECT id FROM sessions WHERE user_id = $1', [userId])).toHaveLength(MAX_PER_USER);

    // A sign-in loop (concurrent, on both replicas) does not grow the table past the cap.
    const burst = await Promise.all(Array.from({ length: 12 }, () => signIn('dev', subject, profile('Heidi'))));
    expect(await q('SELECT id FROM sessions WHERE user_id = $1', [userId])).toHaveLength(MAX_PER_USER);
    const live = (await Promise.all([...seq, ...burst].map(async (s) => (await verify(s.sessionToken)).valid))).filter(Boolean);
    expect(live).toHaveLength(MAX_PER_USER);
    // Other users are not affected.
    const ivan = await signIn('dev', subjectOf('ivan'), profile('Ivan'));
    expect((await verify(ivan.sessionToken)).valid).toBe(true);
  });

  test('user-get: the profile, or null for an id that never signed in', async () => {
    expect(ok(await sys.auth.getUser({ userId: 'never-signed-in' }))).toEqual({ user: null });
    const judy = await signIn('dev', subjectOf('judy'), profile('Judy', { email: null, avatarUrl: null, emailVerified: false }));
    expect(ok(await sys.auth.getUser({ userId: judy.user.id }))).toEqual({ user: { id: judy.user.id, name: 'Judy', email: null, emailVerified: false, avatarUrl: null } });
  });

  test('malformed commands are validation_failed and the service keeps answering', async () => {
    const good = { providerId: 'dev', subject: 'x', profile: profile('X') };
    const bad: [string, unknown][] = [
      [AuthSubjects.signIn, {}],
      [AuthSubjects.signIn, 'not an object'],
      [AuthSubjects.signIn, null],
      [AuthSubjects.signIn, { ...good, providerId: 'Bad Provider!' }],
      [AuthSubjects.signIn, { ...good, subject: '' }],
      [AuthSubjects.signIn, { ...good, subject: 's'.repeat(256) }],
      [AuthSubjects.signIn, { ...good, profile: { ...good.profile, name: 'n'.repeat(201) } }],
      [AuthSubjects.signIn, { ...good, profile: { name: null, email: null, avatarUrl: null } }],
      [AuthSubjects.signIn, { ...good, idToken: 'x'.repeat(16_385) }],
      [AuthSubjects.signIn, { ...good, userAgent: 7 }],
      [AuthSubjects.verifySession, { tokenHash: 'abc' }],
      [AuthSubjects.verifySession, { tokenHash: 'A'.repeat(64) }],
      [AuthSubjects.verifySession, { tokenHash: randomBytes(32).toString('base64url') }],
      [AuthSubjects.endSession, {}],
      [AuthSubjects.endAllSessions, { userId: 'has space' }],
      [AuthSubjects.endAllSessions, { userId: '' }],
      [AuthSubjects.getUser, { userId: 'x'.repeat(129) }],
      [AuthSubjects.getUser, []],
    ];
    for (const [subject, data] of bad) {
      const r = await sys.auth.raw(subject, data);
      expect({ subject, data, code: r.ok ? 'ok' : r.error.code }).toEqual({ subject, data, code: 'validation_failed' });
      if (!r.ok) expect(r.error.details).toMatchObject({ issues: expect.any(Array) });
    }
    // Nothing was written by them, and both replicas still answer.
    expect(await q("SELECT * FROM user_identities WHERE subject IN ('x', '')")).toEqual([]);
    expect(await sys.auth.waitReplicas(2)).toHaveLength(2);
    const after = await signIn('dev', subjectOf('after'), profile('After'));
    expect((await verify(after.sessionToken)).valid).toBe(true);
  });

  test('session tokens and ID tokens are never in clear in the database nor in the logs; the ID token is encrypted with HARNESS_ENCRYPTION_KEY', async () => {
    const subject = subjectOf('kim');
    const idToken = newIdToken();
    const s = await signIn('corp', subject, profile('Kim'), { idToken, userAgent: 'test-agent' });
    const row = (await sessionRow(s.sessionToken))!;
    expect(row.id_token_enc).toMatch(/^v1\./);
    expect(decryptSecret(row.id_token_enc!, createKeyring(Buffer.from(sys.system.encryptionKey, 'hex')))).toBe(idToken);
    // A second sign-in with another ID token: each session keeps its own, encrypted.
    const s2 = await signIn('corp', subject, profile('Kim'), { idToken: newIdToken() });
    expect((await sessionRow(s2.sessionToken))!.id_token_enc).not.toBe(row.id_token_enc);

    expect(sessionTokens.length).toBeGreaterThan(20);
    const scan = await scanDatabase(sys.system.databaseUrl, [...sessionTokens, ...idTokens]);
    expect(scan.findings).toEqual([]);
    // What is stored is the hash, only in `sessions`.
    expect(scan.rowsWith(hashSessionToken(s.sessionToken)).map((r) => r.table)).toEqual(['sessions']);

    // The logs: wait until the last sign-in's line is written, then look for every token (and trivial encodings).
    await waitFor(() => readFileSync(sys.system.logFile, 'utf8').split('\n').some((l) => l.includes('signed in') && l.includes(s2.user.id)), {
      timeoutMs: 10_000, intervalMs: 50, description: 'the sign-in log line',
    });
    const log = readFileSync(sys.system.logFile, 'utf8');
    expect(log).toContain('"msg":"signed in"');
    const leaked = [...sessionTokens, ...idTokens].filter((t) =>
      [t, Buffer.from(t).toString('base64url'), Buffer.from(t).toString('hex')].some((form) => log.includes(form)) || log.includes(t.split('.')[1] ?? t),
    );
    expect(leaked).toEqual([]);
  });
});
