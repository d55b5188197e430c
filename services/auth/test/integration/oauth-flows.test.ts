// services/auth against a minimal in-test MCP server + authorization server (node:http): the request order of
// discovery, refusals (resource mismatch, issuer mismatch, no S256), the 2025-03-26 fallbacks (root metadata with a
// foreign issuer; no metadata at all → /authorize, /token, /register), CIMD, and the token request's `resource`.
// Real Postgres; the use cases are called in-process (the NATS wiring is covered by test/integration/auth-oauth-*).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@harness/config';
import { keyIdOf } from '@harness/crypto';
import { createDatabase, type Database } from '@harness/db';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@harness/testing';
import { CompleteAuthorization } from '../../src/complete-authorization/complete-authorization.usecase.js';
import { ConnectionStatus } from '../../src/connection-status/connection-status.usecase.js';
import { GetAccessToken } from '../../src/access-token/access-token.usecase.js';
import { createOAuthContext, type OAuthContext } from '../../src/oauth/context.js';
import { clearAttempts, countAttempt } from '../../src/oauth/store.js';
import { StartAuthorization } from '../../src/start-authorization/start-authorization.usecase.js';

interface Seen { method: string; path: string; query: URLSearchParams; body: string; headers: http.IncomingHttpHeaders }
type Handler = (req: Seen, res: http.ServerResponse, base: string) => boolean | void;

/** One HTTP server playing MCP server and authorization server; `handle` answers or returns false for 404. */
async function fakeServer(handle: Handler) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const s: Seen = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, headers: req.headers };
      seen.push(s);
      if (handle(s, res, base) === false || !res.headersSent) {
        if (!res.headersSent) res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, paths: () => seen.map((s) => `${s.method} ${s.path}`), close: () => new Promise<void>((r) => server.close(() => r())) };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
/** The browser the flows of these tests start from and return to (the gateway's binding cookie). */
const BROWSER = 'browser-binding-of-these-tests';
/** These tests run without Cross-App Access: every start answers an authorization. */
const authz = (r: Awaited<ReturnType<StartAuthorization['execute']>>) => {
  if (!('authorizationUrl' in r)) throw new Error('start connected at once (Cross-App Access is not configured here)');
  return r;
};
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url');

let tdb: TestDatabase;
let db: Database;
let ctx: OAuthContext;
let start: StartAuthorization;
let complete: CompleteAuthorization;
let status: ConnectionStatus;
let token: GetAccessToken;
const closers: (() => Promise<void>)[] = [];
/** Every log line the service wrote (at trace level, without pino's redaction: what the code passes to the logger). */
const logLines: string[] = [];
/** Every secret a server in these tests handed out; none may appear in a log line. */
const secrets = new Set<string>();
const secret = (prefix: string) => {
  const v = `${prefix}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  secrets.add(v);
  return v;
};

beforeAll(async () => {
  tdb = await createTestDatabase('auth_flows');
  db = createDatabase(tdb.url);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: tdb.url,
    HARNESS_ENCRYPTION_KEY: 'a'.repeat(64),
    HARNESS_JWT_SECRET: 'test-secret-of-enough-length',
    HARNESS_OUTBOUND_ALLOWLIST: '127.0.0.0/8,localhost',
    HARNESS_OAUTH_REDIRECT_URL: 'http://127.0.0.1:9/v1/mcp/oauth/callback',
    HARNESS_OAUTH_CLIENT_METADATA_URL: 'https://harness.example.com/oauth/client-metadata.json',
  });
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  ctx = createOAuthContext(config, db, pino({ level: 'trace' }, sink));
  start = new StartAuthorization(ctx);
  complete = new CompleteAuthorization(ctx);
  status = new ConnectionStatus(ctx);
  token = new GetAccessToken(ctx);
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));

  await db?.close();
  await tdb?.drop();
});

async function server(handle: Handler) {
  const s = await fakeServer(handle);
  closers.push(s.close);
  return s;
}

/** A token endpoint that checks PKCE against the last challenge and records the request. */
function tokenEndpoint() {
  let challenge = '';
  const tokenRequests: URLSearchParams[] = [];
  return {
    tokenRequests,
    authorize(s: Seen) { challenge = s.query.get('code_challenge') ?? ''; },
    token(s: Seen, res: http.ServerResponse) {
      const p = new URLSearchParams(s.body);
      tokenRequests.push(p);
      if (p.get('grant_type') === 'refresh_token') {
        return json(res, 200, { access_token: secret(`at${tokenRequests.length}`), refresh_token: secret('rt'), token_type: 'Bearer', expires_in: 3600 });
      }
      if (s256(p.get('code_verifier') ?? '') !== challenge) return json(res, 400, { error: 'invalid_grant' });
      secrets.add(p.get('code_verifier') ?? '');
      return json(res, 200, { access_token: secret(`at${tokenRequests.length}`), refresh_token: secret('rt'), token_type: 'Bearer', expires_in: 3600 });
    },
  };
}

describe('2025-03-26 fallbacks', () => {
  test('no PRM and no metadata: default /authorize, /token, /register at the server origin; no resource sent', async () => {
    const t = tokenEndpoint();
    const srv = await server((s, res) => {
      if (s.method === 'POST' && s.path === '/mcp') return void res.writeHead(401).end();
      if (s.path === '/register') return void json(res, 201, { client_id: 'legacy-client', client_secret: secret('legacy-secret'), redirect_uris: [] });
      if (s.path === '/token') return void t.token(s, res);
      return false;
    });
    const userId = 'legacy-1';
    const { authorizationUrl, nonce } = authz(await start.execute({ userId, serverUrl: `${srv.base}/mcp`, binding: BROWSER }));
    const url = new URL(authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${srv.base}/authorize`);
    expect(url.searchParams.get('client_id')).toBe('legacy-client');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.has('resource')).toBe(false);
    expect(srv.paths()).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-protected-resource',
      'GET /.well-known/oauth-authorization-server',
      'GET /.well-known/openid-configuration',
      'POST /register',
    ]);
    const reg = JSON.parse(srv.seen.at(-1)!.body);
    expect(reg).toMatchObject({ application_type: 'web', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1:9/v1/mcp/oauth/callback'], client_name: 'Harness' });

    t.authorize({ query: url.searchParams } as Seen);
    const done = await complete.execute({ state: url.searchParams.get('state')!, code: 'c1', binding: BROWSER });
    expect(done).toEqual({ serverUrl: `${srv.base}/mcp`, status: 'connected', nonce });
    expect(t.tokenRequests[0].get('resource')).toBeNull();
    expect(t.tokenRequests[0].get('grant_type')).toBe('authorization_code');
    expect(await status.execute({ userId, serverUrl: `${srv.base}/mcp` })).toMatchObject({ status: 'connected' });
    const at = await token.execute({ userId, serverUrl: `${srv.base}/mcp` });
    expect(at).toMatchObject({ status: 'connected', accessToken: expect.stringMatching(/^at1-/) });
    // Every state of this file is a secret too.
    secrets.add(url.searchParams.get('state')!);
    // The MCP server refused it: refreshed (no resource on this path either), and the new token is returned.
    const renewed = await token.execute({ userId, serverUrl: `${srv.base}/mcp`, rejected: true, rejectedVersion: at.status === 'connected' ? at.version : -1 });
    expect(renewed).toMatchObject({ status: 'connected', accessToken: expect.stringMatching(/^at2-/) });
    expect(t.tokenRequests[1].get('grant_type')).toBe('refresh_token');
    expect(t.tokenRequests[1].get('resource')).toBeNull();
    // The same rejection reported again with the old version: the newer token, no second refresh.
    const again = await token.execute({ userId, serverUrl: `${srv.base}/mcp`, rejected: true, rejectedVersion: at.status === 'connected' ? at.version : -1 });
    expect(again).toMatchObject({ status: 'connected', accessToken: renewed.status === 'connected' ? renewed.accessToken : '' });
    expect(t.tokenRequests).toHaveLength(2);
  });

  test('root metadata whose issuer differs from the origin is accepted on the 2025-03-26 path (backcompat)', async () => {
    const t = tokenEndpoint();
    const srv = await server((s, res, base) => {
      if (s.method === 'POST' && s.path === '/mcp') return void res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end();
      if (s.path === '/.well-known/oauth-authorization-server') {
        return void json(res, 200, {
          issuer: `${base}/oauth`, authorization_endpoint: `${base}/oauth/authorize`, token_endpoint: `${base}/oauth/token`,
          registration_endpoint: `${base}/oauth/register`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
        });
      }
      if (s.path === '/oauth/register') return void json(res, 201, { client_id: 'bc-client', redirect_uris: [], token_endpoint_auth_method: 'none' });
      if (s.path === '/oauth/token') return void t.token(s, res);
      return false;
    });
    const { authorizationUrl } = authz(await start.execute({ userId: 'legacy-2', serverUrl: `${srv.base}/mcp`, binding: BROWSER }));
    const url = new URL(authorizationUrl);
    expect(url.pathname).toBe('/oauth/authorize');
    t.authorize({ query: url.searchParams } as Seen);
    expect(await complete.execute({ state: url.searchParams.get('state')!, code: 'c', binding: BROWSER })).toMatchObject({ status: 'connected' });
    expect(t.tokenRequests[0].get('client_id')).toBe('bc-client');
  });
});

describe('discovery (2025-11-25) and its refusals', () => {
  function modern(opts: { resource?: (base: string) => string; issuer?: (base: string) => string; methods?: string[] | null; cimd?: boolean; iss?: boolean } = {}) {
    const t = tokenEndpoint();
    return {
      t,
      handler: ((s, res, base) => {
        if (s.method === 'POST' && s.path === '/mcp') {
          return void res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${base}/prm-from-header", scope="files:read"` }).end();
        }
        if (s.path === '/prm-from-header') return void json(res, 200, { resource: opts.resource?.(base) ?? `${base}/mcp`, authorization_servers: [`${base}/tenant`], scopes_supported: ['files:read', 'files:write'] });
        if (s.path === '/.well-known/openid-configuration/tenant') {
          return void json(res, 200, {
            issuer: opts.issuer?.(base) ?? `${base}/tenant`, authorization_endpoint: `${base}/tenant/authorize`, token_endpoint: `${base}/tenant/token`,
            registration_endpoint: `${base}/tenant/register`, response_types_supported: ['code'], jwks_uri: `${base}/jwks`,
            subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
            scopes_supported: ['files:read', 'offline_access'],
            ...(opts.methods === null ? {} : { code_challenge_methods_supported: opts.methods ?? ['S256'] }),
            ...(opts.cimd ? { client_id_metadata_document_supported: true } : {}),
            ...(opts.iss ? { authorization_response_iss_parameter_supported: true } : {}),
          });
        }
        if (s.path === '/tenant/register') return void json(res, 201, { client_id: 'dcr-client', client_secret: secret('dcr-secret'), redirect_uris: [] });
        if (s.path === '/tenant/token') return void t.token(s, res);
        return false;
      }) as Handler,
    };
  }

  test('header PRM URL, then AS metadata in spec order (OAuth inserted 404 → OIDC inserted); scope from the challenge plus offline_access; resource in both requests', async () => {
    const m = modern({ iss: true });
    const srv = await server(m.handler);
    const { authorizationUrl } = authz(await start.execute({ userId: 'modern-1', serverUrl: `${srv.base}/mcp`, binding: BROWSER }));
    expect(srv.paths().slice(0, 4)).toEqual([
      'POST /mcp',
      'GET /prm-from-header',
      'GET /.well-known/oauth-authorization-server/tenant',
      'GET /.well-known/openid-configuration/tenant',
    ]);
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('scope')).toBe('files:read offline_access');
    expect(url.searchParams.get('resource')).toBe(`${srv.base}/mcp`);
    m.t.authorize({ query: url.searchParams } as Seen);
    const state = url.searchParams.get('state')!;
    // iss advertised: a callback without it is rejected (error fields ignored), and the state is spent.
    expect(await complete.execute({ state, code: 'c', error: 'access_denied', binding: BROWSER })).toMatchObject({ status: 'error', message: expect.stringMatching(/no iss/) });
    expect(m.t.tokenRequests).toHaveLength(0);
    const again = new URL((authz(await start.execute({ userId: 'modern-1', serverUrl: `${srv.base}/mcp`, binding: BROWSER }))).authorizationUrl);
    expect(again.searchParams.get('state')).not.toBe(state);
    m.t.authorize({ query: again.searchParams } as Seen);
    expect(await complete.execute({ state: again.searchParams.get('state')!, code: 'c', iss: `${srv.base}/tenant`, binding: BROWSER })).toMatchObject({ status: 'connected' });
    expect(m.t.tokenRequests[0].get('resource')).toBe(`${srv.base}/mcp`);
    expect(await status.execute({ userId: 'modern-1', serverUrl: `${srv.base}/mcp` })).toMatchObject({ status: 'connected', scopes: ['files:read', 'offline_access'] });
  });

  test('CIMD: the client id is Harness\'s metadata URL when the server supports it (no registration)', async () => {
    const m = modern({ cimd: true });
    const srv = await server(m.handler);
    const url = new URL((authz(await start.execute({ userId: 'cimd-1', serverUrl: `${srv.base}/mcp` }))).authorizationUrl);
    expect(url.searchParams.get('client_id')).toBe('https://harness.example.com/oauth/client-metadata.json');
    expect(srv.paths()).not.toContain('POST /tenant/register');
  });

  test('refusals: PRM for another resource, issuer mismatch, no S256 advertised', async () => {
    const wrongResource = await server(modern({ resource: () => 'https://evil.example.com/mcp' }).handler);
    await expect(start.execute({ userId: 'refuse-1', serverUrl: `${wrongResource.base}/mcp` })).rejects.toThrow(/another resource/);
    expect(wrongResource.paths()).not.toContain('GET /.well-known/oauth-authorization-server/tenant');

    const wrongIssuer = await server(modern({ issuer: (b) => `${b}/other` }).handler);
    await expect(start.execute({ userId: 'refuse-2', serverUrl: `${wrongIssuer.base}/mcp` })).rejects.toThrow(/issuer/);

    const noS256 = await server(modern({ methods: null }).handler);
    await expect(start.execute({ userId: 'refuse-3', serverUrl: `${noS256.base}/mcp` })).rejects.toThrow(/S256/);
    const plainOnly = await server(modern({ methods: ['plain'] }).handler);
    await expect(start.execute({ userId: 'refuse-4', serverUrl: `${plainOnly.base}/mcp` })).rejects.toThrow(/S256/);
    // Nothing was registered with a refused server.
    for (const s of [wrongResource, wrongIssuer, noS256, plainOnly]) expect(s.paths()).not.toContain('POST /tenant/register');
  });

  test('the SSRF guard applies: a server outside the allowlist is refused before any request', async () => {
    await expect(start.execute({ userId: 'ssrf-1', serverUrl: 'http://10.0.0.1/mcp' })).rejects.toThrow(/10\.0\.0\.1|not allowed|https/i);
  });
});

test('attempt counter (SQL): counts per user, server and scope set; a window older than the TTL starts again', async () => {
  const count = async (userId: string, key: string) => (await countAttempt(db.pool, userId, 'https://mcp.example.com/mcp', key, 600_000)).attempts;
  expect(await count('cap-a', 'x')).toBe(1);
  expect(await count('cap-a', 'x')).toBe(2);
  expect(await count('cap-a', 'x y')).toBe(1);
  expect(await count('cap-b', 'x')).toBe(1);
  expect(await count('cap-a', 'x')).toBe(3);
  expect(await count('cap-a', 'x')).toBe(4);
  await db.pool.query(`UPDATE oauth_authorization_attempts SET window_starts_at = now() - interval '601 seconds' WHERE user_id = 'cap-a' AND scope_key = 'x'`);
  expect(await count('cap-a', 'x')).toBe(1);
  await clearAttempts(db.pool, 'cap-a', 'https://mcp.example.com/mcp');
  expect(await count('cap-a', 'x y')).toBe(1);
  expect(await count('cap-b', 'x')).toBe(2);
});

test('key rotation: tokens stored under a previous key are read and stored again under the current one', async () => {
  const userId = 'legacy-2';
  const rows = async () => (await db.pool.query<{ access_token_enc: string; server_url: string }>('SELECT access_token_enc, server_url FROM oauth_connections WHERE user_id = $1', [userId])).rows;
  const [before] = await rows();
  expect(before.access_token_enc.split('.')[1]).toBe(keyIdOf(Buffer.from('a'.repeat(64), 'hex')));
  const rotated = createOAuthContext(
    loadConfig({ NODE_ENV: 'test', DATABASE_URL: tdb.url, HARNESS_JWT_SECRET: 'test-secret-of-enough-length', HARNESS_ENCRYPTION_KEY: 'b'.repeat(64), HARNESS_ENCRYPTION_KEY_PREVIOUS: 'a'.repeat(64), HARNESS_OUTBOUND_ALLOWLIST: '127.0.0.0/8' }),
    db,
    ctx.logger,
  );
  const first = await new GetAccessToken(rotated).execute({ userId, serverUrl: before.server_url });
  const old = await token.execute({ userId, serverUrl: before.server_url });
  expect(first.status).toBe('connected');
  const [after] = await rows();
  expect(after.access_token_enc.split('.')[1]).toBe(keyIdOf(Buffer.from('b'.repeat(64), 'hex')));
  // The same token, now readable only with the new key.
  expect(await new GetAccessToken(rotated).execute({ userId, serverUrl: before.server_url })).toEqual(first);
  // A replica without the new key cannot read them: it says so and asks the user to connect again.
  expect(old).toMatchObject({ status: 'error', message: expect.stringMatching(/cannot be read/) });
});

test('no token, secret, verifier or state in any log line of this file\'s flows', () => {
  const all = logLines.join('');
  expect(logLines.length).toBeGreaterThan(0);
  expect(secrets.size).toBeGreaterThan(5);
  for (const s of secrets) expect(all).not.toContain(s);
});
