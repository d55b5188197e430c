// services/auth's sessions in-process against real Postgres, with a clock the test moves: the ID token of the user's
// newest live session at a provider (internal, for Cross-App Access; no NATS command), the expired-session sweeper,
// and expiry by the service's own clock. The NATS wiring is covered by test/integration/auth-sign-in.test.ts.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { hashSessionToken, type IdentityProfile } from '@harness/contracts';
import { createKeyring } from '@harness/crypto';
import { createDatabase, type Database } from '@harness/db';
import { createTestDatabase, type TestDatabase } from '@harness/testing';
import { pino } from 'pino';
import type { SessionsContext } from '../../src/sessions/context.js';
import { sessionIdToken } from '../../src/sessions/id-token.js';
import { SessionSweeper } from '../../src/sessions/session-sweeper.js';
import { deleteExpiredSessions } from '../../src/sessions/store.js';
import { EndAllSessions } from '../../src/end-all-sessions/end-all-sessions.usecase.js';
import { SignIn } from '../../src/sign-in/sign-in.usecase.js';
import { VerifySession } from '../../src/verify-session/verify-session.usecase.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
let tdb: TestDatabase;
let db: Database;
let ctx: SessionsContext;
let clock = Date.parse('2026-12-03T12:00:00Z');
/** Every log line (trace level, as the code hands them to the logger). */
const logLines: string[] = [];
const idTokens: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase('auth_sessions');
  db = createDatabase(tdb.url);
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  ctx = {
    pool: db.pool,
    keyring: createKeyring(randomBytes(32)),
    logger: pino({ level: 'trace' }, sink),
    settings: { maxAgeMs: 30 * DAY, idleMs: 7 * DAY, maxPerUser: 50 },
    now: () => new Date(clock),
  };
}, 60_000);

afterAll(async () => {
  await db?.close();
  await tdb?.drop();
});

const profile: IdentityProfile = { name: 'Pat', email: 'pat@example.com', emailVerified: true, avatarUrl: null };
const newIdToken = (label: string) => {
  const t = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ label, n: randomBytes(16).toString('hex') })).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  idTokens.push(t);
  return t;
};
const signIn = (providerId: string, subject: string, idToken?: string) => new SignIn(ctx).execute({ providerId, subject, profile, idToken });
const count = async (sql: string, params: unknown[] = []) => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM sessions ${sql}`, params)).rows[0]!.n;

describe('the ID token of the newest live session (Cross-App Access)', () => {
  test('newest of the provider wins; other providers, other users and token-less sessions are not it', async () => {
    const a = newIdToken('a');
    const first = await signIn('corp', 'pat', a);
    const userId = first.user.id;
    expect(await sessionIdToken(ctx, userId, 'corp')).toBe(a);

    clock += MINUTE;
    const b = newIdToken('b');
    await signIn('corp', 'pat', b);
    expect(await sessionIdToken(ctx, userId, 'corp')).toBe(b);

    // A newer session of the same provider without an ID token (e.g. a plain OAuth provider) does not hide it.
    clock += MINUTE;
    await signIn('corp', 'pat');
    expect(await sessionIdToken(ctx, userId, 'corp')).toBe(b);

    // Another provider: a different user (no linking), and nothing for this user there.
    const gh = await signIn('github', 'pat', newIdToken('gh'));
    expect(gh.user.id).not.toBe(userId);
    expect(await sessionIdToken(ctx, userId, 'github')).toBeNull();
    expect(await sessionIdToken(ctx, gh.user.id, 'corp')).toBeNull();
    expect(await sessionIdToken(ctx, 'no-such-user', 'corp')).toBeNull();

    await new EndAllSessions(ctx).execute({ userId });
    expect(await sessionIdToken(ctx, userId, 'corp')).toBeNull();
  });

  test('expired sessions (absolute or idle, by the service clock) do not count; the older live one does', async () => {
    const older = newIdToken('older');
    const o = await signIn('corp', 'quinn', older);
    const userId = o.user.id;
    clock += MINUTE;
    const newer = newIdToken('newer');
    const n = await signIn('corp', 'quinn', newer);
    expect(await sessionIdToken(ctx, userId, 'corp')).toBe(newer);

    await db.pool.query('UPDATE sessions SET idle_expires_at = $2 WHERE token_hash = $1', [hashSessionToken(n.sessionToken), new Date(clock - 1)]);
    expect(await sessionIdToken(ctx, userId, 'corp')).toBe(older);
    await db.pool.query('UPDATE sessions SET expires_at = $2 WHERE token_hash = $1', [hashSessionToken(o.sessionToken), new Date(clock)]);
    expect(await sessionIdToken(ctx, userId, 'corp')).toBeNull();
  });

  test('a token the keyring cannot decrypt any more is none (logged, without the token)', async () => {
    const token = newIdToken('rotated');
    const s = await signIn('corp', 'rita', token);
    const rotated: SessionsContext = { ...ctx, keyring: createKeyring(randomBytes(32)) };
    expect(await sessionIdToken(rotated, s.user.id, 'corp')).toBeNull();
    expect(logLines.some((l) => l.includes('a stored ID token cannot be decrypted'))).toBe(true);
    // With the key that encrypted it (e.g. still in HARNESS_ENCRYPTION_KEY_PREVIOUS) it reads.
    const withPrevious: SessionsContext = { ...ctx, keyring: { current: rotated.keyring.current, previous: [ctx.keyring.current] } };
    expect(await sessionIdToken(withPrevious, s.user.id, 'corp')).toBe(token);
  });
});

describe('expiry by the service clock and the sweeper', () => {
  test('a session is valid until its idle expiry unless used, and never past its absolute expiry', async () => {
    const s = await signIn('dev', 'sam');
    const hash = hashSessionToken(s.sessionToken);
    const verify = () => new VerifySession(ctx).execute({ tokenHash: hash });
    // Used every six days: the idle expiry (7 days) slides, until the absolute one (30 days) ends it.
    for (let day = 6; day < 30; day += 6) {
      clock += 6 * DAY;
      expect((await verify()).valid).toBe(true);
    }
    clock += 6 * DAY;
    expect(await verify()).toEqual({ valid: false });

    const idle = await signIn('dev', 'sam');
    clock += 7 * DAY;
    expect(await new VerifySession(ctx).execute({ tokenHash: hashSessionToken(idle.sessionToken) })).toEqual({ valid: false });
  });

  test('the sweeper deletes sessions past either expiry, and only those', async () => {
    await db.pool.query('DELETE FROM sessions');
    const live = await signIn('dev', 'tess');
    const idleOne = await signIn('dev', 'tess');
    const oldOne = await signIn('dev', 'tess');
    await db.pool.query('UPDATE sessions SET idle_expires_at = $2 WHERE token_hash = $1', [hashSessionToken(idleOne.sessionToken), new Date(clock)]);
    await db.pool.query('UPDATE sessions SET expires_at = $2 WHERE token_hash = $1', [hashSessionToken(oldOne.sessionToken), new Date(clock - DAY)]);
    expect(await count('')).toBe(3);

    const sweeper = new SessionSweeper(ctx);
    expect(await sweeper.sweep()).toBe(2);
    expect((await db.pool.query<{ token_hash: string }>('SELECT token_hash FROM sessions')).rows.map((r) => r.token_hash)).toEqual([hashSessionToken(live.sessionToken)]);
    expect(await sweeper.sweep()).toBe(0);

    // Past the idle expiry of the rest: all gone; the users and identities stay.
    clock += 7 * DAY;
    expect(await sweeper.sweep()).toBe(1);
    expect(await count('')).toBe(0);
    expect((await db.pool.query('SELECT 1 FROM user_identities WHERE subject = $1', ['tess'])).rowCount).toBe(1);
  });

  test('the sweeper deletes in batches', async () => {
    for (let i = 0; i < 7; i++) await signIn('dev', `batch-${i}`);
    clock += 31 * DAY;
    expect(await deleteExpiredSessions(db.pool, ctx.now(), 3)).toBe(7);
    expect(await count('')).toBe(0);
  });

  test('no ID token was ever logged', () => {
    expect(logLines.length).toBeGreaterThan(5);
    const all = logLines.join('\n');
    expect(idTokens.filter((t) => all.includes(t) || all.includes(t.split('.')[1]!))).toEqual([]);
  });
});
