import { createHash, randomBytes } from 'node:crypto';
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  exchangeAuthorization,
  refreshAuthorization,
  registerClient,
  startAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuthorizationServerMetadata, OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { startOAuthTestServer, type OAuthTestServerHandle, type OAuthTestServerOptions } from '../../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const servers: OAuthTestServerHandle[] = [];

async function start(opts: OAuthTestServerOptions = {}): Promise<OAuthTestServerHandle> {
  const srv = await startOAuthTestServer(opts);
  servers.push(srv);
  return srv;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Connected {
  metadata: AuthorizationServerMetadata;
  client: OAuthClientInformationFull;
  accessToken: string;
  refreshToken: string | undefined;
}

/** Discovery, DCR, /authorize (followed by hand), code exchange: the SDK's client helpers against the server. */
async function connect(srv: OAuthTestServerHandle, method: 'client_secret_basic' | 'client_secret_post' | 'none' = 'client_secret_basic', scope = 'mcp:read'): Promise<Connected> {
  const prm = await discoverOAuthProtectedResourceMetadata(srv.url);
  expect(prm.resource).toBe(srv.url);
  expect(prm.authorization_servers).toEqual([srv.issuer]);
  const metadata = await discoverAuthorizationServerMetadata(srv.issuer);
  if (!metadata) throw new Error('no metadata');
  const client = await registerClient(srv.issuer, {
    metadata,
    clientMetadata: { redirect_uris: [REDIRECT], token_endpoint_auth_method: method, grant_types: ['authorization_code', 'refresh_token'], client_name: 't' },
  });
  const state = randomBytes(8).toString('hex');
  const { authorizationUrl, codeVerifier } = await startAuthorization(srv.issuer, { metadata, clientInformation: client, redirectUrl: REDIRECT, scope, state, resource: srv.url });
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(location.origin + location.pathname).toBe(REDIRECT);
  expect(location.searchParams.get('state')).toBe(state);
  expect(location.searchParams.get('iss')).toBe(srv.issuer);
  const tokens = await exchangeAuthorization(srv.issuer, {
    metadata, clientInformation: client, authorizationCode: location.searchParams.get('code')!, codeVerifier, redirectUri: REDIRECT, resource: new URL(srv.url),
  });
  return { metadata, client, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
}

async function mcpClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'oauth-test-server-test', version: '0.0.1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

const form = (o: Record<string, string>): URLSearchParams => new URLSearchParams(o);

describe('oauth-test-server', () => {
  test('401 challenge, discovery, DCR, PKCE code flow with resource and iss; the token opens the MCP server', async () => {
    const srv = await start();
    const anon = await fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
    const header = anon.headers.get('www-authenticate')!;
    expect(header).toContain(`resource_metadata="${srv.resourceMetadataUrl}"`);
    expect(header).toContain('scope="mcp:read"');
    expect(srv.resourceMetadataUrl).toMatch(/\/\.well-known\/oauth-protected-resource\/mcp$/);

    const c = await connect(srv);
    expect(c.metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect((c.metadata as Record<string, unknown>).authorization_response_iss_parameter_supported).toBe(true);
    expect(c.client.client_secret).toBeDefined();
    expect(srv.stats).toMatchObject({ authorizeCalls: 1, registrations: 1, tokenCalls: { authorization_code: 1, refresh_token: 0, other: 0 }, accessTokensValid: 1, refreshTokensValid: 1 });
    expect(srv.stats.tokenRequests[0]).toMatchObject({ authMethod: 'client_secret_basic', resource: srv.url, outcome: 'ok' });

    const mcp = await mcpClient(srv.url, c.accessToken);
    const who = await mcp.callTool({ name: 'whoami', arguments: {} });
    expect(who.structuredContent).toEqual({ clientId: c.client.client_id, scopes: ['mcp:read'] });
    await mcp.close();
  });

  test('refresh rotates: a new refresh token each time, the old one then gives invalid_grant; failRefresh knob', async () => {
    const srv = await start();
    const c = await connect(srv, 'client_secret_post');
    const args = { metadata: c.metadata, clientInformation: c.client, resource: new URL(srv.url) };
    const r1 = await refreshAuthorization(srv.issuer, { ...args, refreshToken: c.refreshToken! });
    expect(r1.refresh_token).toBeDefined();
    expect(r1.refresh_token).not.toBe(c.refreshToken);
    expect(r1.access_token).not.toBe(c.accessToken);
    expect(srv.stats.refreshes).toBe(1);
    expect(srv.stats.refreshTokensValid).toBe(1);
    await expect(refreshAuthorization(srv.issuer, { ...args, refreshToken: c.refreshToken! })).rejects.toThrow(/already used/);
    expect(srv.stats.invalidGrants).toBe(1);
    srv.knobs.failRefresh = true;
    await expect(refreshAuthorization(srv.issuer, { ...args, refreshToken: r1.refresh_token! })).rejects.toThrow(/failRefresh/);
    expect(srv.stats).toMatchObject({ refreshes: 1, invalidGrants: 2, tokenCalls: { refresh_token: 3 } });
    expect(srv.stats.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', authMethod: 'client_secret_post', outcome: 'invalid_grant' });
  });

  test('short access token TTL: the token expires and the MCP server answers 401 invalid_token', async () => {
    const srv = await start({ accessTokenTtlMs: 300 });
    const c = await connect(srv, 'none');
    expect(c.client.client_secret).toBeUndefined();
    expect(srv.isAccessTokenValid(c.accessToken)).toBe(true);
    await new Promise((r) => setTimeout(r, 350));
    expect(srv.stats.accessTokensValid).toBe(0);
    const res = await fetch(srv.url, { method: 'POST', headers: { authorization: `Bearer ${c.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  test('insufficient_scope: 403 with the needed scope; a token with it may call the tool', async () => {
    const srv = await start();
    const c = await connect(srv);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin', arguments: {} } });
    const res = await fetch(srv.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    });
    expect(res.status).toBe(403);
    const header = res.headers.get('www-authenticate')!;
    expect(header).toContain('error="insufficient_scope"');
    expect(header).toContain('scope="mcp:admin"');
    expect(header).toContain('resource_metadata=');
    const admin = await connect(srv, 'client_secret_basic', 'mcp:read mcp:admin');
    const mcp = await mcpClient(srv.url, admin.accessToken);
    expect(await mcp.callTool({ name: 'admin', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'admin ok' }] });
    await mcp.close();
    expect(srv.stats.forbidden).toBe(1);
    srv.knobs.withheldScopes = ['mcp:admin'];
    const withheld = await connect(srv, 'client_secret_basic', 'mcp:read mcp:admin');
    const mcp2 = await mcpClient(srv.url, withheld.accessToken);
    expect((await mcp2.callTool({ name: 'whoami', arguments: {} })).structuredContent).toMatchObject({ scopes: ['mcp:read'] });
    await mcp2.close();
  });

  test('revocation is recorded (RFC 7009) and revoking the refresh token ends the grant', async () => {
    const srv = await start();
    const c = await connect(srv);
    const basic = `Basic ${Buffer.from(`${c.client.client_id}:${c.client.client_secret}`).toString('base64')}`;
    const res = await fetch(srv.endpoints.revocation, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: c.refreshToken!, token_type_hint: 'refresh_token' }),
    });
    expect(res.status).toBe(200);
    expect(srv.stats.revocations).toEqual([{ token: c.refreshToken, tokenTypeHint: 'refresh_token', kind: 'refresh_token', clientId: c.client.client_id }]);
    expect(srv.isAccessTokenValid(c.accessToken)).toBe(false);
    expect(srv.stats.refreshTokensValid).toBe(0);
    const wrong = await fetch(srv.endpoints.revocation, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${c.client.client_id}:nope`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: c.accessToken }),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
  });

  test('/authorize and /token refuse what they must: PKCE, redirect_uri, resource, code reuse', async () => {
    const srv = await start();
    const metadata = (await discoverAuthorizationServerMetadata(srv.issuer))!;
    const client = await registerClient(srv.issuer, { metadata, clientMetadata: { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' } });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = (p: Record<string, string>) => {
      const u = new URL(srv.endpoints.authorization);
      for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', resource: srv.url, state: 's1', ...p })) {
        if (v !== '') u.searchParams.set(k, v);
      }
      return fetch(u, { redirect: 'manual' });
    };
    const errorOf = (res: Response) => new URL(res.headers.get('location')!).searchParams.get('error');
    expect(errorOf(await authorize({ code_challenge: '' }))).toBe('invalid_request');
    expect(errorOf(await authorize({ code_challenge_method: 'plain' }))).toBe('invalid_request');
    expect(errorOf(await authorize({ resource: '' }))).toBe('invalid_target');
    expect(errorOf(await authorize({ resource: 'http://127.0.0.1:1/other' }))).toBe('invalid_target');
    expect((await authorize({ redirect_uri: 'http://127.0.0.1:9/evil' })).status).toBe(400);
    expect((await authorize({ client_id: 'nobody' })).status).toBe(400);

    const ok = await authorize({});
    const code = new URL(ok.headers.get('location')!).searchParams.get('code')!;
    const tokenReq = (p: Record<string, string>) =>
      fetch(srv.endpoints.token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: 'authorization_code', client_id: client.client_id, code, code_verifier: verifier, redirect_uri: REDIRECT, resource: srv.url, ...p }),
      });
    const bad = await tokenReq({ code_verifier: randomBytes(32).toString('base64url') });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_grant' }); // the code is now spent too
    expect((await (await tokenReq({})).json()) as object).toMatchObject({ error: 'invalid_grant' });

    const ok2 = await authorize({});
    const code2 = new URL(ok2.headers.get('location')!).searchParams.get('code')!;
    expect(await (await tokenReq({ code: code2, resource: 'http://127.0.0.1:1/other' })).json()).toMatchObject({ error: 'invalid_target' });
    expect(srv.stats.authorizeRequests.map((r) => r.outcome)).toEqual(['error-redirect', 'error-redirect', 'error-redirect', 'error-redirect', 'refused', 'refused', 'code', 'code']);
  });

  test('metadata knobs: issuer path, OIDC only, issuer mismatch, no code_challenge_methods, no registration or revocation, auth methods, separate origin', async () => {
    const srv = await start({
      issuerPath: '/oauth', metadata: 'oidc', issuerMismatch: true, codeChallengeMethods: null, registration: false, revocation: false,
      issParameter: false, clientIdMetadataDocument: true, tokenEndpointAuthMethods: ['client_secret_post'], separateAuthorizationServer: true,
    });
    expect(new URL(srv.issuer).origin).not.toBe(new URL(srv.url).origin);
    expect(srv.issuer).toMatch(/\/oauth$/);
    const origin = new URL(srv.issuer).origin;
    expect((await fetch(`${origin}/.well-known/oauth-authorization-server/oauth`)).status).toBe(404);
    const oidc = (await (await fetch(`${origin}/.well-known/openid-configuration/oauth`)).json()) as Record<string, unknown>;
    expect((await fetch(`${origin}/oauth/.well-known/openid-configuration`)).status).toBe(200);
    expect(oidc.issuer).not.toBe(srv.issuer);
    expect(oidc).not.toHaveProperty('code_challenge_methods_supported');
    expect(oidc).not.toHaveProperty('registration_endpoint');
    expect(oidc).not.toHaveProperty('revocation_endpoint');
    expect(oidc).not.toHaveProperty('authorization_response_iss_parameter_supported');
    expect(oidc).toMatchObject({ client_id_metadata_document_supported: true, token_endpoint_auth_methods_supported: ['client_secret_post'], jwks_uri: expect.any(String) });
    expect((await fetch(`${srv.issuer}/register`, { method: 'POST', body: '{}' })).status).toBe(404);

    srv.knobs.issuerMismatch = false;
    srv.knobs.metadata = 'both';
    const both = (await (await fetch(`${origin}/.well-known/oauth-authorization-server/oauth`)).json()) as Record<string, unknown>;
    expect(both.issuer).toBe(srv.issuer);
  });

  test('pre-registered client with client_secret_post; iss omitted when not advertised; denyAuthorization', async () => {
    const srv = await start({ issParameter: false, preRegisteredClients: [{ clientId: 'pre', clientSecret: 'pre-secret', tokenEndpointAuthMethod: 'client_secret_post' }] });
    const metadata = (await discoverAuthorizationServerMetadata(srv.issuer))!;
    const info = { client_id: 'pre', client_secret: 'pre-secret', token_endpoint_auth_method: 'client_secret_post' };
    const { authorizationUrl, codeVerifier } = await startAuthorization(srv.issuer, { metadata, clientInformation: info, redirectUrl: REDIRECT, state: 'x', resource: srv.url });
    const loc = new URL((await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location')!);
    expect(loc.searchParams.has('iss')).toBe(false);
    const tokens = await exchangeAuthorization(srv.issuer, { metadata, clientInformation: info, authorizationCode: loc.searchParams.get('code')!, codeVerifier, redirectUri: REDIRECT, resource: new URL(srv.url) });
    expect(tokens.refresh_token).toBeDefined();
    expect(srv.stats.tokenRequests[0]!.authMethod).toBe('client_secret_post');
    srv.knobs.denyAuthorization = true;
    const denied = new URL((await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location')!);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('x');
  });
});
