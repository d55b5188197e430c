import { runInNewContext } from 'node:vm';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startSystem, waitFor, type System } from '@harness/testing';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { BrowserCookies } from './support/browser.js';
import { assertWellFormed, Client, readUntilTerminals, sim, type StreamEvent } from './support/client.js';

const WEB_ORIGIN = 'https://app.harness.test';
const CLIENT_METADATA_URL = 'https://harness.example.test/oauth/client-metadata.json';
const OAUTH_NEEDED = 'this server needs the user to connect (OAuth)';
const CSP = (nonce: string | undefined) => `default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** What the callback page's inline script does, run in a sandbox: the messages it posts and whether it closes. */
function runCallbackScript(html: string) {
  const scripts = [...html.matchAll(/<script nonce="([^"]+)">([\s\S]*?)<\/script>/g)];
  const posted: { message: any; targetOrigin: string }[] = [];
  let closed = false;
  for (const [, , code] of scripts) {
    runInNewContext(code!, {
      window: {
        opener: { postMessage: (message: unknown, targetOrigin: string) => posted.push({ message: JSON.parse(JSON.stringify(message)), targetOrigin }) },
        close: () => {
          closed = true;
        },
      },
    });
  }
  return { scriptNonces: scripts.map((m) => m[1]!), posted, closed };
}

const BINDING_COOKIE = /^harness_oauth_binding=([A-Za-z0-9_-]{43}); Path=\/v1\/mcp\/oauth; Max-Age=600; HttpOnly; SameSite=Lax$/;

/** The callback is a browser navigation: no token, no JSON; the browser's cookies for the path, if it has any. */
async function openCallback(system: System, query: string, browser?: BrowserCookies) {
  const path = `/v1/mcp/oauth/callback?${query}`;
  const res = await fetch(`${system.gatewayUrl}${path}`, { redirect: 'manual', headers: browser?.headersFor(path) ?? {} });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

function cspNonce(csp: string | null): string | undefined {
  return /script-src 'nonce-([^']+)'/.exec(csp ?? '')?.[1];
}

/** The conversation of the last `runTools`. */
let lastConversation = '';

async function runTools(client: Client, harnessId: string, toolCalls: unknown[]): Promise<StreamEvent[]> {
  const conv = (await client.createConversation(harnessId)).id;
  lastConversation = conv;
  const stream = await client.events(conv, { after: 0 });
  await client.send(conv, sim('use tools', { toolCalls }));
  const events = await readUntilTerminals(stream, 1, 30_000);
  stream.close();
  assertWellFormed(events);
  return events;
}

const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.chunk.type === type);

/**
 * Listens, next to the real auth service, to the commands the gateway and the broker send it on NATS (a plain
 * subscription: it gets a copy of each request and never answers).
 */
interface AuthCommandLog {
  received: { command: string; data: any }[];
  close(): Promise<void>;
}

async function watchAuthCommands(system: System): Promise<AuthCommandLog> {
  const natsNamespace = system.natsNamespace;
  const nc: NatsConnection = await connect({ ...system.natsConnectOptions('test'), name: 'e2e-auth-command-log' });
  const received: AuthCommandLog['received'] = [];
  nc.subscribe(`${natsNamespace}.v1.auth.cmd.*`, {
    callback: (err, msg) => {
      if (err) return;
      received.push({ command: msg.subject.split('.').at(-1)!, data: msg.json<{ data: unknown }>().data });
    },
  });
  await nc.flush();
  return { received, close: () => nc.drain().catch(() => undefined) };
}

/**
 * MCP OAuth through the public API, all of it real: the gateway's routes and callback page, the broker asking the
 * auth service for tokens (refresh on 401, step-up on 403), chat's `data-mcp-auth` chunks, the auth service against
 * the in-repo authorization server and the MCP server it protects (tools/oauth-test-server). The browser's part is
 * played by following the authorization URL (the server approves at once) and replaying its redirect on the
 * gateway's callback.
 */
describe('MCP OAuth end to end (gateway, broker, chat, auth service, authorization server)', () => {
  let system: System;
  let as: OAuthTestServerHandle;
  let commands: AuthCommandLog;
  let alice: Client;
  let bob: Client;
  let harnessId: string;

  const statusOf = async (client: Client) =>
    (await client.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).body as { status: string; scopes?: string[] };
  const sent = (command: string, userId: string) => commands.received.filter((r) => r.command === command && r.data.userId === userId);

  /** alice's and bob's browsers (the binding cookie of their flows). */
  const aliceBrowser = new BrowserCookies();
  const bobBrowser = new BrowserCookies();

  /** POST start from a browser: the answer's binding cookie is kept in it. */
  const startIn = async (client: Client, browser: BrowserCookies) => {
    const started = await client.call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url }, browser.headersFor('/v1/mcp/oauth/start'));
    browser.store(started.headers);
    return started;
  };

  /** Follows an authorization URL like a browser (redirect: manual) and opens the callback it points to, with the browser's cookie. */
  const authorizeAndReturn = async (authorizationUrl: string, browser: BrowserCookies) => {
    const authorize = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${system.gatewayUrl}/v1/mcp/oauth/callback`);
    return { page: await openCallback(system, location.search.slice(1), browser), location };
  };

  /** POST start from the browser, then the authorization server and the callback page (with the browser's cookie). */
  const connectAccount = async (client: Client, browser: BrowserCookies) => {
    const started = await startIn(client, browser);
    expect(started.status).toBe(200);
    const { page, location } = await authorizeAndReturn(started.body.authorizationUrl, browser);
    return { started: started.body as { authorizationUrl: string; nonce: string }, setCookie: started.headers.getSetCookie(), page, location };
  };

  beforeAll(async () => {
    as = await startOAuthTestServer();
    system = await startSystem({ label: 'mcp-oauth', env: { WEB_ORIGIN, HARNESS_OAUTH_CLIENT_METADATA_URL: CLIENT_METADATA_URL, HARNESS_RATE_LIMIT_OAUTH_STARTS: 'off', HARNESS_RATE_LIMIT_TOOL_LISTS: 'off' } });
    commands = await watchAuthCommands(system);
    alice = await Client.as(system, 'alice');
    bob = await Client.as(system, 'bob');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'protected', url: as.url, authType: 'oauth' }] })).id;
  }, 90_000);

  afterAll(async () => {
    await commands?.close();
    await system?.stop();
    await as?.close();
  });

  it('serves the client metadata document at its configured URL, without a token', async () => {
    const res = await fetch(`${system.gatewayUrl}/oauth/client-metadata.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      client_id: CLIENT_METADATA_URL,
      client_name: 'Harness',
      redirect_uris: [`${system.gatewayUrl}/v1/mcp/oauth/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'web',
    });
  });

  it('refuses bad input with 400 and the error body, and wants a user token except on the callback', async () => {
    const bad: [string, string, unknown?][] = [
      ['POST', '/v1/mcp/oauth/start', {}],
      ['POST', '/v1/mcp/oauth/start', { serverUrl: 'not a url' }],
      ['POST', '/v1/mcp/oauth/start', { serverUrl: 'ftp://example.com/mcp' }],
      ['POST', '/v1/mcp/oauth/start', { serverUrl: as.url, extra: 1 }],
      ['GET', '/v1/mcp/oauth/status'],
      ['GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent('javascript:alert(1)')}`],
      ['DELETE', '/v1/mcp/oauth/connection'],
      ['GET', '/v1/mcp/oauth/callback'],
      ['GET', '/v1/mcp/oauth/callback?code=abc'],
      ['GET', '/v1/mcp/oauth/callback?state=a&state=b'],
    ];
    for (const [method, path, body] of bad) {
      const r = await alice.call(method, path, body);
      expect([method, path, r.status]).toEqual([method, path, 400]);
      expect(r.body.error.code).toBe('validation_failed');
    }
    const anonymous = await fetch(`${system.gatewayUrl}/v1/mcp/oauth/start`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serverUrl: as.url }),
    });
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${system.gatewayUrl}/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).status).toBe(401);
    expect((await fetch(`${system.gatewayUrl}/v1/mcp/oauth/connection?serverUrl=${encodeURIComponent(as.url)}`, { method: 'DELETE' })).status).toBe(401);
    // Nothing reached the auth service, let alone the authorization server.
    expect(commands.received).toEqual([]);
    expect(as.stats.authorizeCalls + as.stats.registrations).toBe(0);
  });

  it('CORS: WEB_ORIGIN may call start with credentials (to keep the binding cookie), like the rest of the API (the session cookie), never the board', async () => {
    const preflight = (path: string) =>
      fetch(`${system.gatewayUrl}${path}`, {
        method: 'OPTIONS',
        headers: { origin: WEB_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const start = await preflight('/v1/mcp/oauth/start');
    expect(start.status).toBe(204);
    expect(start.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(start.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('/v1/harnesses');
    expect(other.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(other.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await preflight('/admin/queues/api/queues')).headers.get('access-control-allow-credentials')).toBeNull();
    expect((await preflight('/metrics')).headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lists a server the user has not connected as needing the user to connect, with where to connect', async () => {
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.status).toBe(200);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([
      {
        serverId: expect.any(String),
        serverName: 'protected',
        message: OAUTH_NEEDED,
        authRequired: { serverUrl: as.url, authorizationUrl: expect.stringMatching(new RegExp(`^${as.endpoints.authorization.replace(/[.?]/g, '\\$&')}\\?.*state=`)) },
      },
    ]);
    expect(await statusOf(alice)).toEqual({ status: 'disconnected' });

    // A run of that harness tells the user where to connect, before the model answers without the tools.
    const events = await runTools(alice, harnessId, []);
    const notices = ofType(events, 'data-mcp-auth');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.chunk).toMatchObject({ data: { serverUrl: as.url, status: 'required', authorizationUrl: expect.stringContaining('state=') }, transient: true });
    expect(events.at(-1)!.chunk.type).toBe('finish');
  });

  it('connects: start gives the authorization URL and a nonce and binds the browser; the callback page posts the result to WEB_ORIGIN only', async () => {
    const { started, setCookie, page, location } = await connectAccount(alice, aliceBrowser);
    expect(started).toEqual({ authorizationUrl: expect.stringContaining('state='), nonce: expect.any(String) });
    // The browser binding: an opaque random value, HttpOnly, Lax, scoped to the OAuth routes, living as long as a state.
    expect(setCookie).toEqual([expect.stringMatching(BINDING_COOKIE)]);
    const binding = BINDING_COOKIE.exec(setCookie[0]!)![1];
    expect(sent('start', 'alice').at(-1)!.data).toMatchObject({ userId: 'alice', serverUrl: as.url, binding });
    expect(commands.received.filter((r) => r.command === 'complete').at(-1)!.data).toMatchObject({
      code: location.searchParams.get('code'),
      state: new URL(started.authorizationUrl).searchParams.get('state'),
      iss: as.issuer,
      binding,
    });

    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy');
    const nonce = cspNonce(csp);
    expect(csp).toBe(CSP(nonce));
    expect(nonce).toMatch(/^[A-Za-z0-9+/=]{16,}$/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.html).toContain('Account connected');

    const script = runCallbackScript(page.html);
    expect(script.scriptNonces).toEqual([nonce]);
    expect(script.posted).toEqual([
      { message: { type: 'harness:mcp-oauth', status: 'connected', serverUrl: as.url, message: null, nonce: started.nonce }, targetOrigin: WEB_ORIGIN },
    ]);
    expect(script.closed).toBe(true);

    expect(await statusOf(alice)).toMatchObject({ status: 'connected' });
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.body.errors).toEqual([]);
    expect(tools.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['admin', 'echo', 'whoami']);
  });

  it('a tool call in a run uses the user\'s access token', async () => {
    const before = { mcp: as.stats.mcpRequests, unauthorized: as.stats.unauthorized };
    const events = await runTools(alice, harnessId, [{ name: 'whoami', arguments: {} }]);
    expect(ofType(events, 'data-mcp-auth')).toEqual([]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    const outputs = ofType(events, 'tool-output-available');
    expect(outputs).toHaveLength(1);
    // The token the server accepted is the one the authorization server issued to Harness's client for alice's grant.
    const [client] = as.clients().filter((c) => c.source === 'registration');
    expect(JSON.stringify(outputs[0]!.chunk.output)).toContain(client!.clientId);
    expect(as.stats.mcpRequests).toBeGreaterThan(before.mcp);
    expect(as.stats.unauthorized).toBe(before.unauthorized);
  });

  it('a token the server no longer accepts (401) is refreshed once through the auth service and the call retried', async () => {
    const [before] = as.issuedAccessTokens().slice(-1);
    const stats = { refreshes: as.stats.refreshes, refreshCalls: as.stats.tokenCalls.refresh_token, unauthorized: as.stats.unauthorized };
    const asked = sent('access-token', 'alice').length;
    as.expireAccessTokens(); // server side only: the auth service still believes the token good for an hour
    expect(as.isAccessTokenValid(before!)).toBe(false);

    const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'after refresh' } }]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    expect(ofType(events, 'data-mcp-auth')).toEqual([]);
    expect(JSON.stringify(ofType(events, 'tool-output-available')[0]!.chunk.output)).toContain('after refresh');

    // Exactly one refresh at the authorization server, after exactly one 401.
    expect(as.stats.refreshes).toBe(stats.refreshes + 1);
    expect(as.stats.tokenCalls.refresh_token).toBe(stats.refreshCalls + 1);
    expect(as.stats.unauthorized).toBe(stats.unauthorized + 1);
    // The broker asked the auth service again, saying the token was rejected and how.
    const rejected = sent('access-token', 'alice').slice(asked).filter((r) => r.data.rejected);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.data).toMatchObject({ userId: 'alice', serverUrl: as.url, wwwAuthenticate: expect.stringContaining('invalid_token') });
    const [after] = as.issuedAccessTokens().slice(-1);
    expect(after).not.toBe(before);
    expect(as.isAccessTokenValid(after!)).toBe(true);
    expect((await statusOf(alice)).status).toBe('connected');
  });

  it('a 403 insufficient_scope gives a step-up authorization URL with the union of scopes; after it the call goes through', async () => {
    const granted = (await statusOf(alice)).scopes ?? [];
    expect(granted).toContain('mcp:read');
    expect(granted).not.toContain('mcp:admin');
    const union = [...new Set([...granted, 'mcp:admin'])].sort();
    const events = await runTools(alice, harnessId, [{ name: 'admin', arguments: {} }]);
    const notices = ofType(events, 'data-mcp-auth');
    expect(notices).toHaveLength(1);
    const authorizationUrl = notices[0]!.chunk.data.authorizationUrl as string;
    expect(notices[0]!.chunk.data).toEqual({ serverUrl: as.url, status: 'required', authorizationUrl: expect.stringContaining('state=') });
    // The scopes granted so far and the one challenged.
    expect(new URL(authorizationUrl).searchParams.get('scope')?.split(' ').sort()).toEqual(union);
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.chunk.errorText).toMatch(/^the MCP server protected needs you to connect your account/);
    expect(errors[0]!.seq).toBeGreaterThan(notices[0]!.seq);
    expect(commands.received.filter((r) => r.data.userId === 'alice' && /insufficient_scope/.test(r.data.wwwAuthenticate ?? '')).at(-1)!.data).toMatchObject({
      serverUrl: as.url,
      wwwAuthenticate: expect.stringContaining('scope="mcp:admin"'),
    });

    // The web app asks start for the server from the browser: it hands out that step-up authorization, bound to the
    // browser (and a second start from the same browser keeps its cookie). The user follows it (the server approves
    // at once) and the callback completes it.
    const binding = aliceBrowser.get('harness_oauth_binding');
    const bound = await startIn(alice, aliceBrowser);
    expect(bound.body.authorizationUrl).toBe(authorizationUrl);
    expect(aliceBrowser.get('harness_oauth_binding')).toBe(binding);
    const { page } = await authorizeAndReturn(authorizationUrl, aliceBrowser);
    expect(page.status).toBe(200);
    expect(runCallbackScript(page.html).posted[0]?.message.status).toBe('connected');
    expect((await statusOf(alice)).scopes?.sort()).toEqual(union);
    const retried = await runTools(alice, harnessId, [{ name: 'admin', arguments: {} }]);
    expect(ofType(retried, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(ofType(retried, 'tool-output-available')[0]!.chunk.output)).toContain('admin ok');
  });

  it('escapes hostile callback input, and posts only with the flow nonce to WEB_ORIGIN', async () => {
    // A state the auth service does not know: an error page that tells no opener anything.
    const hostileState = '<script>alert(1)</script>"\'&';
    const unknown = await openCallback(system, `code=x&state=${encodeURIComponent(hostileState)}&iss=${encodeURIComponent(as.issuer)}`, aliceBrowser);
    expect(unknown.status).toBe(400);
    expect(unknown.html).toContain('Could not connect your account');
    expect(unknown.headers.get('content-security-policy')).toBe(CSP(cspNonce(unknown.headers.get('content-security-policy'))));
    expect(unknown.headers.get('referrer-policy')).toBe('no-referrer');
    expect(unknown.headers.get('cache-control')).toBe('no-store');
    expect(unknown.html).not.toContain('<script');
    expect(unknown.html).not.toContain('alert(1)</script>');
    expect(runCallbackScript(unknown.html).posted).toEqual([]);
    // A fresh CSP nonce on every response.
    const again = await openCallback(system, `code=x&state=${encodeURIComponent(hostileState)}`);
    expect(cspNonce(again.headers.get('content-security-policy'))).not.toBe(cspNonce(unknown.headers.get('content-security-policy')));

    // The authorization server redirects back with an error and a hostile description (bob: alice stays connected).
    const started = await startIn(bob, bobBrowser);
    expect(started.status).toBe(200);
    const description = '</script><script>alert("x")</script><!-- \u2028\u2029 & done';
    const query = new URLSearchParams({
      error: 'access_denied',
      error_description: description,
      state: new URL(started.body.authorizationUrl).searchParams.get('state')!,
      iss: as.issuer,
    });
    const page = await openCallback(system, query.toString(), bobBrowser);
    expect(page.status).toBe(200); // bob's own flow, refused at the authorization server: its error goes to his opener
    expect(page.html).toContain('Could not connect your account');
    expect(page.html).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;!--');
    expect(page.html.match(/<script/g)).toHaveLength(1);
    expect(page.html.match(/<\/script>/g)).toHaveLength(1);
    expect(page.html).not.toContain('<!--');
    const script = runCallbackScript(page.html);
    expect(script.scriptNonces).toEqual([cspNonce(page.headers.get('content-security-policy'))]);
    expect(script.posted).toEqual([
      {
        message: {
          type: 'harness:mcp-oauth',
          status: 'error',
          serverUrl: as.url,
          message: `The authorization server did not authorize Harness (access_denied: ${description}).`,
          nonce: started.body.nonce,
        },
        targetOrigin: WEB_ORIGIN,
      },
    ]);
    expect(script.closed).toBe(true);
    // The line separators are escaped inside the script.
    const code = /<script[^>]*>([\s\S]*?)<\/script>/.exec(page.html)![1]!;
    expect(code).not.toMatch(/[\u2028\u2029]/);
    expect(code).toContain('\\u2028\\u2029');
    expect((await statusOf(bob)).status).toBe('disconnected');
    expect((await statusOf(alice)).status).toBe('connected');
  });

  it('when the refresh fails (invalid_grant), the run gets data-mcp-auth before the call\'s error saying to connect', async () => {
    // Listed with the current token first (the listing is cached per token), so the run offers the tools and the
    // call is what meets the expired token.
    expect((await alice.call('GET', `/v1/harnesses/${harnessId}/tools`)).body.errors).toEqual([]);
    const invalidGrants = as.stats.invalidGrants;
    as.knobs.failRefresh = true;
    try {
      as.expireAccessTokens();
      const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'x' } }]);
      const notices = ofType(events, 'data-mcp-auth');
      expect(notices.length).toBeGreaterThanOrEqual(1);
      expect(notices.at(-1)!.chunk).toMatchObject({ data: { serverUrl: as.url, status: 'required', authorizationUrl: expect.stringContaining('state=') }, transient: true });
      const errors = ofType(events, 'tool-output-error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.chunk.errorText).toMatch(/^the MCP server protected needs you to connect your account/);
      expect(errors[0]!.seq).toBeGreaterThan(notices.at(-1)!.seq);
      expect(events.at(-1)!.chunk.type).toBe('finish');
      expect(as.stats.invalidGrants).toBe(invalidGrants + 1);
      expect(['expired', 'disconnected']).toContain((await statusOf(alice)).status);
      const answer = (await alice.messages(lastConversation)).at(-1);
      expect(answer.parts.find((p: { type: string }) => p.type === 'dynamic-tool')).toMatchObject({ state: 'output-error' });
    } finally {
      as.knobs.failRefresh = false;
    }
  });

  it('keeps connections per user: bob sees none of alice\'s, and his harness on the same server is not authorized', async () => {
    const { page } = await connectAccount(alice, aliceBrowser);
    expect(page.status).toBe(200);
    expect((await statusOf(alice)).status).toBe('connected');

    expect(await statusOf(bob)).toEqual({ status: 'disconnected' });
    const bobHarness = (await bob.createHarness({ mcpServers: [{ name: 'same', url: as.url, authType: 'oauth' }] })).id;
    const tools = await bob.call('GET', `/v1/harnesses/${bobHarness}/tools`);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([expect.objectContaining({ message: OAUTH_NEEDED, authRequired: expect.objectContaining({ serverUrl: as.url }) })]);
    // The broker asked for bob's token (he has none), never used alice's.
    expect(sent('access-token', 'bob').length).toBeGreaterThan(0);
    expect((await bob.call('GET', `/v1/harnesses/${harnessId}/tools`)).status).toBe(404);
    // Disconnecting bob revokes nothing at the server and does not touch alice's connection.
    const revocations = as.stats.revocations.length;
    expect((await bob.call('DELETE', `/v1/mcp/oauth/connection?serverUrl=${encodeURIComponent(as.url)}`)).status).toBe(204);
    expect(as.stats.revocations).toHaveLength(revocations);
    expect((await statusOf(alice)).status).toBe('connected');
    const run = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'still alice' } }]);
    expect(JSON.stringify(ofType(run, 'tool-output-available')[0]!.chunk.output)).toContain('still alice');
  });

  it('DELETE connection revokes at the authorization server: status disconnected, and the server needs the user again', async () => {
    const revocations = as.stats.revocations.length;
    const [accessToken] = as.issuedAccessTokens().slice(-1);
    const [refreshToken] = as.issuedRefreshTokens().slice(-1);
    const del = await alice.call('DELETE', `/v1/mcp/oauth/connection?serverUrl=${encodeURIComponent(as.url)}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expect(sent('revoke', 'alice').at(-1)!.data).toMatchObject({ userId: 'alice', serverUrl: as.url });
    expect(as.stats.revocations.slice(revocations)).toEqual([
      expect.objectContaining({ token: refreshToken, kind: 'refresh_token' }),
      expect.objectContaining({ token: accessToken, kind: 'access_token' }),
    ]);
    expect(as.isAccessTokenValid(accessToken!)).toBe(false);
    expect(await statusOf(alice)).toEqual({ status: 'disconnected' });
    // Not the listing made with the revoked token (it was cached): the server needs the user again.
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([expect.objectContaining({ message: OAUTH_NEEDED, authRequired: expect.objectContaining({ serverUrl: as.url }) })]);
  });

  // Last: it kills the auth service.
  it('answers 503 when the auth service is down (the callback with a page)', async () => {
    // The command log's subscription would count as a listener (no "no responders" answer): it goes first.
    await commands.close();
    const auth = system.process('auth');
    auth.kill('SIGKILL');
    await auth.exited;
    const started = await waitFor(
      async () => {
        const r = await alice.call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url });
        return r.status === 503 && r;
      },
      { timeoutMs: 20_000, description: 'start answers 503' },
    );
    expect(started.body.error.code).toBe('service_unavailable');
    expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).status).toBe(503);
    const page = await openCallback(system, 'code=a&state=b');
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CSP(cspNonce(page.headers.get('content-security-policy'))));
    expect(page.html).toContain('Could not connect your account');
    expect(page.html).not.toContain('<script');
  }, 30_000);
});

describe('MCP OAuth client metadata document when no URL is configured', () => {
  let system: System;

  beforeAll(async () => {
    // An http PUBLIC_URL and no HARNESS_OAUTH_CLIENT_METADATA_URL: Harness offers no metadata document.
    system = await startSystem({ label: 'mcp-oauth-cimd', services: ['gateway'] });
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('is 404 with the error body', async () => {
    const res = await fetch(`${system.gatewayUrl}/oauth/client-metadata.json`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'not found' } });
  });
});
