// The auth service (a real process, over NATS) against tools/oauth-test-server with its metadata knobs: discovery
// variants it must follow, servers it must refuse, and the registration order (pre-registered, then DCR).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOAuthTestServer, type OAuthTestServerHandle, type OAuthTestServerOptions } from '../../tools/oauth-test-server/src/index.js';
import { authorize, connectUser, ok, startAuthSystem, type AuthSystem, authorizationOf } from './support/auth-oauth.js';

let sys: AuthSystem;
let preRegistered: OAuthTestServerHandle;
/** An authorization server that only knows its pre-registered client (no DCR, no CIMD), like a GitHub OAuth app. */
let preRegisteredOnly: OAuthTestServerHandle;
const servers: OAuthTestServerHandle[] = [];
const decoys: Server[] = [];

beforeAll(async () => {
  // Known before the service starts: HARNESS_OAUTH_CLIENTS names their issuers and the MCP servers the clients serve.
  preRegistered = await startOAuthTestServer({
    issuerPath: '/pre',
    preRegisteredClients: [{ clientId: 'harness-pre', clientSecret: 'pre-secret-value', tokenEndpointAuthMethod: 'client_secret_post' }],
  });
  preRegisteredOnly = await startOAuthTestServer({
    issuerPath: '/only',
    registration: false,
    preRegisteredClients: [{ clientId: 'harness-only', clientSecret: 'only-secret-value', tokenEndpointAuthMethod: 'client_secret_post' }],
  });
  servers.push(preRegistered, preRegisteredOnly);
  sys = await startAuthSystem('auth-discovery', 1, {
    env: {
      HARNESS_OAUTH_CLIENTS: JSON.stringify([
        {
          issuer: preRegistered.issuer,
          servers: [preRegistered.url],
          clientId: 'harness-pre',
          clientSecret: 'pre-secret-value',
          tokenEndpointAuthMethod: 'client_secret_post',
        },
        // An origin entry: every MCP server at that origin.
        {
          issuer: preRegisteredOnly.issuer,
          servers: [new URL(preRegisteredOnly.url).origin],
          clientId: 'harness-only',
          clientSecret: 'only-secret-value',
          tokenEndpointAuthMethod: 'client_secret_post',
        },
      ]),
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(decoys.map((d) => new Promise((r) => d.close(r))));
  await sys?.stop();
});

/**
 * A malicious MCP server (another origin than every configured server): it answers 401 and its protected resource
 * metadata names `authorizationServer` — an issuer that has a pre-registered client — as its authorization server.
 */
async function decoyServer(authorizationServer: string): Promise<string> {
  const server = createServer((req, res) => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    if (req.method === 'GET' && req.url === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: url, authorization_servers: [authorizationServer] }));
      return;
    }
    req.resume();
    res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  decoys.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

async function oauthServer(opts: OAuthTestServerOptions = {}): Promise<OAuthTestServerHandle> {
  const srv = await startOAuthTestServer(opts);
  servers.push(srv);
  return srv;
}

/** Start, authorize and complete; resolves with complete's data. */
async function flow(srv: OAuthTestServerHandle, userId: string, wwwAuthenticate?: string) {
  const a = await authorize(sys.auth, userId, srv.url, wwwAuthenticate ? { wwwAuthenticate } : {});
  return ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding }), 'complete');
}

describe('auth service: discovery and registration', () => {
  test('issuer with a path on another origin, OIDC discovery only: followed to connected', async () => {
    const srv = await oauthServer({ issuerPath: '/tenant/a', metadata: 'oidc', separateAuthorizationServer: true });
    expect(await flow(srv, 'disc-oidc')).toMatchObject({ status: 'connected' });
    expect(srv.stats.registrations).toBe(1);
  });

  test('protected resource metadata only at the URL of the 401 header: found through wwwAuthenticate', async () => {
    const srv = await oauthServer({ resourceMetadataAt: 'header-only' });
    const res = await fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const header = res.headers.get('www-authenticate')!;
    expect(await flow(srv, 'disc-header', header)).toMatchObject({ status: 'connected' });
  });

  test.each([
    ['metadata issuer differs from the issuer', { issuerMismatch: true }],
    ['no code_challenge_methods_supported', { codeChallengeMethods: null }],
    ['code_challenge_methods_supported without S256', { codeChallengeMethods: ['plain'] }],
    ['protected resource metadata names another resource', { resourceMismatch: true }],
    ['no registration endpoint, no CIMD, no pre-registered client', { registration: false }],
  ] as [string, OAuthTestServerOptions][])('refused at start: %s', async (_what, opts) => {
    const srv = await oauthServer(opts);
    const reply = await sys.auth.start({ userId: 'disc-refused', serverUrl: srv.url });
    expect(reply.ok).toBe(false);
    expect(srv.stats.authorizeCalls).toBe(0);
    expect(srv.stats.registrations).toBe(0);
  });

  test('a pre-registered client is used for its issuer and a server it lists (no DCR), with its token endpoint auth method', async () => {
    expect(await flow(preRegistered, 'disc-pre')).toMatchObject({ status: 'connected' });
    expect(preRegistered.stats.registrations).toBe(0);
    expect(preRegistered.stats.authorizeRequests[0]!.clientId).toBe('harness-pre');
    expect(preRegistered.stats.tokenRequests[0]).toMatchObject({ clientId: 'harness-pre', authMethod: 'client_secret_post', outcome: 'ok' });
  });

  test('a server its servers do not list does not get the pre-registered client: DCR as if there were none', async () => {
    const decoyUrl = await decoyServer(preRegistered.issuer);
    const registrations = preRegistered.stats.registrations;
    const started = authorizationOf(ok(await sys.auth.start({ userId: 'disc-pre-decoy', serverUrl: decoyUrl }), 'start'));
    const clientId = new URL(started.authorizationUrl).searchParams.get('client_id');
    expect(clientId).not.toBe('harness-pre');
    expect(preRegistered.clients().map((c) => c.clientId)).toContain(clientId);
    expect(preRegistered.stats.registrations).toBe(registrations + 1);
    // The listed server still gets the pre-registered client (the DCR client stored for the issuer does not replace it).
    const again = await authorize(sys.auth, 'disc-pre-2', preRegistered.url);
    expect(again.authorizationUrl.searchParams.get('client_id')).toBe('harness-pre');
  });

  test('an issuer with only a pre-registered client (no DCR, no CIMD): its listed servers connect, any other server is refused', async () => {
    expect(await flow(preRegisteredOnly, 'disc-only')).toMatchObject({ status: 'connected' });
    expect(preRegisteredOnly.stats.tokenRequests[0]).toMatchObject({ clientId: 'harness-only', outcome: 'ok' });
    const decoyUrl = await decoyServer(preRegisteredOnly.issuer);
    const reply = await sys.auth.start({ userId: 'disc-only-decoy', serverUrl: decoyUrl });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('validation_failed');
      expect(reply.error.message).toMatch(/pre-registered OAuth client .* is not configured for the MCP server/);
    }
    expect(preRegisteredOnly.stats.authorizeCalls).toBe(1);
  });

  test('DCR follows token_endpoint_auth_methods_supported; client credentials are kept per issuer (one registration)', async () => {
    const srv = await oauthServer({ tokenEndpointAuthMethods: ['client_secret_post'] });
    expect(await flow(srv, 'disc-dcr-1')).toMatchObject({ status: 'connected' });
    expect(await flow(srv, 'disc-dcr-2')).toMatchObject({ status: 'connected' });
    expect(srv.stats.registrations).toBe(1);
    expect(srv.clients()[0]).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_post', grantTypes: expect.arrayContaining(['authorization_code', 'refresh_token']) });
    expect(srv.stats.tokenRequests.map((r) => r.authMethod)).toEqual(['client_secret_post', 'client_secret_post']);
  });
});

describe('auth service: token lifecycle variants', () => {
  const TTL_MS = 1_000;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('no refresh token issued: after expiry the connection is expired (accessToken and status agree)', async () => {
    const srv = await oauthServer({ issueRefreshTokens: false, accessTokenTtlMs: TTL_MS });
    const userId = 'life-no-refresh';
    await connectUser(sys.auth, srv, userId);
    await wait(TTL_MS + 150);
    expect(ok(await sys.auth.accessToken({ userId, serverUrl: srv.url })).status).toBe('expired');
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url })).status).toBe('expired');
    expect(srv.stats.tokenCalls.refresh_token).toBe(0);
  });

  test('refresh tokens not rotated: the stored one is kept and keeps working', async () => {
    const srv = await oauthServer({ rotateRefreshTokens: false, accessTokenTtlMs: TTL_MS });
    const userId = 'life-no-rotation';
    await connectUser(sys.auth, srv, userId);
    for (let i = 1; i <= 2; i++) {
      await wait(TTL_MS + 150);
      const t = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
      if (t.status !== 'connected') throw new Error(`refresh ${i}: ${t.status} ${t.message}`);
      expect(srv.isAccessTokenValid(t.accessToken)).toBe(true);
    }
    expect(srv.stats).toMatchObject({ refreshes: 2, invalidGrants: 0 });
    expect(srv.issuedRefreshTokens()).toHaveLength(1);
  });

  test('no revocation endpoint: revoke still forgets the connection', async () => {
    const srv = await oauthServer({ revocation: false });
    const userId = 'life-no-revocation';
    await connectUser(sys.auth, srv, userId);
    expect(ok(await sys.auth.revoke({ userId, serverUrl: srv.url }))).toEqual({ revoked: true });
    expect(srv.stats.revocations).toEqual([]);
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url })).status).toBe('disconnected');
    expect(ok(await sys.auth.revoke({ userId, serverUrl: srv.url }))).toEqual({ revoked: false });
  });

  test('the authorization server forgot Harness\'s client: the refresh fails as error, and connecting again registers anew', async () => {
    const srv = await oauthServer({ accessTokenTtlMs: TTL_MS });
    const userId = 'life-forgotten-client';
    await connectUser(sys.auth, srv, userId);
    srv.forgetRegisteredClients();
    await wait(TTL_MS + 150);
    const t = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    expect(t.status).toBe('error');
    expect(srv.stats.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', outcome: 'invalid_client' });
    const again = await connectUser(sys.auth, srv, userId);
    expect(srv.isAccessTokenValid(again.accessToken)).toBe(true);
    expect(srv.stats.registrations).toBe(2);
  });
});
