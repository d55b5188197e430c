// The auth service (a real process, over NATS) against tools/oauth-test-server with its metadata knobs: discovery
// variants it must follow, servers it must refuse, and the registration order (pre-registered, then DCR).
import { startOAuthTestServer, type OAuthTestServerHandle, type OAuthTestServerOptions } from '../../tools/oauth-test-server/src/index.js';
import { authorize, ok, startAuthSystem, type AuthSystem } from './support/auth-oauth.js';

let sys: AuthSystem;
let preRegistered: OAuthTestServerHandle;
const servers: OAuthTestServerHandle[] = [];

beforeAll(async () => {
  // Known before the service starts: HARNESS_OAUTH_CLIENTS names its issuer.
  preRegistered = await startOAuthTestServer({
    issuerPath: '/pre',
    preRegisteredClients: [{ clientId: 'harness-pre', clientSecret: 'pre-secret-value', tokenEndpointAuthMethod: 'client_secret_post' }],
  });
  servers.push(preRegistered);
  sys = await startAuthSystem('auth-discovery', 1, {
    env: {
      HARNESS_OAUTH_CLIENTS: JSON.stringify([
        { issuer: preRegistered.issuer, clientId: 'harness-pre', clientSecret: 'pre-secret-value', tokenEndpointAuthMethod: 'client_secret_post' },
      ]),
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sys?.stop();
});

async function oauthServer(opts: OAuthTestServerOptions = {}): Promise<OAuthTestServerHandle> {
  const srv = await startOAuthTestServer(opts);
  servers.push(srv);
  return srv;
}

/** Start, authorize and complete; resolves with complete's data. */
async function flow(srv: OAuthTestServerHandle, userId: string, wwwAuthenticate?: string) {
  const a = await authorize(sys.auth, userId, srv.url, wwwAuthenticate ? { wwwAuthenticate } : {});
  return ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss }), 'complete');
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

  test('a pre-registered client is used for its issuer (no DCR), with its token endpoint auth method', async () => {
    expect(await flow(preRegistered, 'disc-pre')).toMatchObject({ status: 'connected' });
    expect(preRegistered.stats.registrations).toBe(0);
    expect(preRegistered.stats.authorizeRequests[0]!.clientId).toBe('harness-pre');
    expect(preRegistered.stats.tokenRequests[0]).toMatchObject({ clientId: 'harness-pre', authMethod: 'client_secret_post', outcome: 'ok' });
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
