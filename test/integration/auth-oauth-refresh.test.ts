// The auth service (two real replicas, over NATS) against tools/oauth-test-server: refresh with rotation, one refresh
// at a time across replicas, invalid_grant. Access tokens live 2 s; HARNESS_OAUTH_REFRESH_SKEW_MS is 0.
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { connectUser, ok, sleep, startAuthSystem, type AuthSystem } from './support/auth-oauth.js';

const TTL_MS = 2_000;
let sys: AuthSystem;
const servers: OAuthTestServerHandle[] = [];

beforeAll(async () => {
  sys = await startAuthSystem('auth-refresh', 2);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sys?.stop();
});

async function oauthServer(opts: Parameters<typeof startOAuthTestServer>[0] = {}): Promise<OAuthTestServerHandle> {
  const srv = await startOAuthTestServer({ accessTokenTtlMs: TTL_MS, ...opts });
  servers.push(srv);
  return srv;
}

/** Fires `n` accessToken commands at once (the NATS queue group spreads them over both replicas). */
async function burst(userId: string, serverUrl: string, n: number, rejectedVersion?: number) {
  const replies = await Promise.all(
    Array.from({ length: n }, () => sys.auth.accessToken({ userId, serverUrl, ...(rejectedVersion !== undefined ? { rejected: true, rejectedVersion } : {}) })),
  );
  return replies.map((r) => ok(r, 'accessToken'));
}

describe('auth service: refresh', () => {
  test('an expired access token is refreshed once; the refresh token is rotated and the rotated one is used next', async () => {
    const srv = await oauthServer();
    const userId = 'refresh-rotation';
    const { accessToken: first } = await connectUser(sys.auth, srv, userId);
    expect(srv.isAccessTokenValid(first)).toBe(true);
    expect(srv.stats.tokenRequests[0]).toMatchObject({ grantType: 'authorization_code', resource: srv.url, outcome: 'ok' });

    // Still valid: the same token, no refresh.
    const again = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    expect(again).toMatchObject({ status: 'connected', accessToken: first });
    expect(srv.stats.refreshes).toBe(0);

    await sleep(TTL_MS + 200);
    expect(srv.isAccessTokenValid(first)).toBe(false);
    const second = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    if (second.status !== 'connected') throw new Error(`after expiry: ${second.status} ${second.message}`);
    expect(second.accessToken).not.toBe(first);
    expect(srv.isAccessTokenValid(second.accessToken)).toBe(true);
    expect(srv.stats.refreshes).toBe(1);
    expect(srv.issuedRefreshTokens()).toHaveLength(2); // rotated: the first one is spent
    expect(srv.stats.refreshTokensValid).toBe(1);
    expect(srv.stats.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', outcome: 'ok' });

    // A second refresh works only if the service stored the rotated refresh token (the old one gives invalid_grant).
    await sleep(TTL_MS + 200);
    const third = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    expect(third.status).toBe('connected');
    expect(srv.stats).toMatchObject({ refreshes: 2, invalidGrants: 0 });
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url }))).toMatchObject({ status: 'connected' });
  }, 20_000);

  test('concurrent refresh from two replicas: one refresh per expiry, every caller gets the same new token, no invalid_grant', async () => {
    // A slow token endpoint and reuse detection make any double refresh visible (and fatal to the grant).
    const srv = await oauthServer({ tokenDelayMs: 300, revokeGrantOnRefreshReuse: true });
    const userId = 'refresh-concurrent';
    await connectUser(sys.auth, srv, userId);

    for (let round = 1; round <= 3; round++) {
      await sleep(TTL_MS + 150);
      const results = await burst(userId, srv.url, 12);
      const tokens = new Set(results.map((r) => (r.status === 'connected' ? r.accessToken : `${r.status}: ${r.message}`)));
      expect([...tokens]).toHaveLength(1);
      const [token] = [...tokens];
      expect(srv.isAccessTokenValid(token!)).toBe(true);
      expect(srv.stats.refreshes).toBe(round);
      expect(srv.stats.invalidGrants).toBe(0);
    }
  }, 25_000);

  test('concurrent `rejected` (same rejectedVersion) from both replicas (the MCP server said 401 to everyone): one refresh, one new token', async () => {
    const srv = await oauthServer({ accessTokenTtlMs: 3_600_000, tokenDelayMs: 300, revokeGrantOnRefreshReuse: true });
    const userId = 'refresh-rejected';
    const { accessToken: first, version } = await connectUser(sys.auth, srv, userId);
    srv.expireAccessTokens(); // the server no longer accepts it, though the service still thinks it valid
    const results = await burst(userId, srv.url, 12, version);
    const tokens = new Set(results.map((r) => (r.status === 'connected' ? r.accessToken : `${r.status}: ${r.message}`)));
    expect([...tokens]).toHaveLength(1);
    const [token] = [...tokens];
    expect(token).not.toBe(first);
    expect(srv.isAccessTokenValid(token!)).toBe(true);
    expect(srv.stats).toMatchObject({ refreshes: 1, invalidGrants: 0 });
  }, 20_000);

  test('invalid_grant on refresh: status expired, accessToken reports expired (with an authorization URL when one is given)', async () => {
    const srv = await oauthServer();
    const userId = 'refresh-invalid-grant';
    await connectUser(sys.auth, srv, userId);
    srv.knobs.failRefresh = true;
    await sleep(TTL_MS + 200);
    const expired = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    expect(expired.status).toBe('expired');
    if (expired.status === 'connected') return;
    expect(expired.message.length).toBeGreaterThan(0);
    if (expired.authorizationUrl !== undefined) expect(expired.authorizationUrl.startsWith(srv.endpoints.authorization)).toBe(true);
    expect(srv.stats.invalidGrants).toBe(1);
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url }))).toMatchObject({ status: 'expired' });
    // Asking again does not hammer the token endpoint with the dead refresh token.
    const later = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    expect(later.status).toBe('expired');
    expect(srv.stats.tokenCalls.refresh_token).toBe(1);
  }, 20_000);
});
