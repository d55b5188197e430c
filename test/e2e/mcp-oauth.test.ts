import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { repoRoot, startSystem, type System } from '@harness/testing';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { assertWellFormed, Client, readUntilTerminals, sim, type StreamEvent } from './support/client.js';
import { startFakeAuthService, startOAuthGuard, type FakeAuthService, type OAuthGuard } from './support/oauth-stand-ins.js';

const WEB_ORIGIN = 'https://app.harness.test';
const CLIENT_METADATA_URL = 'https://harness.example.test/oauth/client-metadata.json';
const OAUTH_NEEDED = 'this server needs the user to connect (OAuth)';

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

/** The callback is a browser navigation: no token, no JSON. */
async function openCallback(system: System, query: string) {
  const res = await fetch(`${system.gatewayUrl}/v1/mcp/oauth/callback?${query}`, { redirect: 'manual' });
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
 * MCP OAuth through the public API, with the auth service's NATS commands answered by a stand-in (the real auth
 * service is tested on its own): the gateway's routes and callback page, the broker asking for tokens (refresh on
 * 401, step-up on 403), chat's `data-mcp-auth` chunks, and one user's connection never serving another.
 */
describe('MCP OAuth (gateway routes, broker and chat, auth service stand-in)', () => {
  let system: System;
  let mcp: McpTestServerHandle;
  let guard: OAuthGuard;
  let auth: FakeAuthService;
  let alice: Client;
  let bob: Client;
  let harnessId: string;

  const connect = async (client: Client, userId: string, serverUrl: string) => {
    const started = await client.call('POST', '/v1/mcp/oauth/start', { serverUrl });
    expect(started.status).toBe(200);
    const page = await openCallback(system, `code=code-1&state=${encodeURIComponent(auth.stateOf(started.body.authorizationUrl))}&iss=${encodeURIComponent('https://as.example.test')}`);
    expect(page.status).toBe(200);
    expect(auth.tokenOf(userId, serverUrl)).toBeDefined();
    return { started: started.body as { authorizationUrl: string; nonce: string }, page };
  };

  beforeAll(async () => {
    mcp = await startMcpTestServer();
    guard = await startOAuthGuard(mcp.url);
    guard.toolScopes.set('add', 'mcp:admin');
    // Without the auth service: its commands are answered by the stand-in, on this system's NATS namespace.
    system = await startSystem({
      label: 'mcp-oauth',
      services: ['gateway', 'chat', 'mcp-broker'],
      env: { WEB_ORIGIN, HARNESS_OAUTH_CLIENT_METADATA_URL: CLIENT_METADATA_URL },
    });
    auth = await startFakeAuthService(system.natsNamespace, guard);
    alice = await Client.as(system, 'alice');
    bob = await Client.as(system, 'bob');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'secure', url: guard.url, authType: 'oauth' }] })).id;
  }, 90_000);

  afterAll(async () => {
    await auth?.close();
    await system?.stop();
    await guard?.close();
    await mcp?.close();
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
      ['POST', '/v1/mcp/oauth/start', { serverUrl: guard.url, extra: 1 }],
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
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serverUrl: guard.url }),
    });
    expect(anonymous.status).toBe(401);
    expect((await fetch(`${system.gatewayUrl}/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).status).toBe(401);
  });

  it('lists a server the user has not connected as needing the user to connect, with where to connect', async () => {
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.status).toBe(200);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([
      { serverId: expect.any(String), serverName: 'secure', message: OAUTH_NEEDED, authRequired: { serverUrl: guard.url, authorizationUrl: expect.stringMatching(/^https:\/\/as\.example\.test\/authorize\?state=/) } },
    ]);
    expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).body).toEqual({ status: 'disconnected' });

    // A run of that harness tells the user where to connect, before the model answers without the tools.
    const events = await runTools(alice, harnessId, []);
    const notices = ofType(events, 'data-mcp-auth');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.chunk).toMatchObject({ data: { serverUrl: guard.url, status: 'required', authorizationUrl: expect.stringContaining('state=') }, transient: true });
    expect(events.at(-1)!.chunk.type).toBe('finish');
  });

  it('connects: start gives the authorization URL and a nonce; the callback page posts the result to WEB_ORIGIN only', async () => {
    const { started, page } = await connect(alice, 'alice', guard.url);
    expect(started).toEqual({ authorizationUrl: expect.stringContaining('state='), nonce: expect.any(String) });
    expect(auth.received.filter((r) => r.command === 'start').at(-1)!.data).toMatchObject({ userId: 'alice', serverUrl: guard.url });
    expect(auth.received.filter((r) => r.command === 'complete').at(-1)!.data).toMatchObject({ code: 'code-1', iss: 'https://as.example.test' });

    const csp = page.headers.get('content-security-policy');
    const nonce = cspNonce(csp);
    expect(csp).toBe(`default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    expect(nonce).toMatch(/^[A-Za-z0-9+/=]{16,}$/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.html).toContain('Account connected');

    const script = runCallbackScript(page.html);
    expect(script.scriptNonces).toEqual([nonce]);
    expect(script.posted).toEqual([
      { message: { type: 'harness:mcp-oauth', status: 'connected', serverUrl: guard.url, message: null, nonce: started.nonce }, targetOrigin: WEB_ORIGIN },
    ]);
    expect(script.closed).toBe(true);

    // A fresh CSP nonce on every response.
    const again = await connect(alice, 'alice', guard.url);
    expect(cspNonce(again.page.headers.get('content-security-policy'))).not.toBe(nonce);

    expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).body).toMatchObject({ status: 'connected' });
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.body.errors).toEqual([]);
    expect(tools.body.items.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['echo', 'whoami']));
  });

  it('a tool call in a run uses the user\'s access token', async () => {
    const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'with oauth' } }]);
    const outputs = ofType(events, 'tool-output-available');
    expect(outputs).toHaveLength(1);
    expect(JSON.stringify(outputs[0]!.chunk.output)).toContain('with oauth');
    expect(ofType(events, 'data-mcp-auth')).toEqual([]);
    const token = auth.tokenOf('alice', guard.url)!;
    expect(guard.seen.filter((s) => s.status === 0).at(-1)!.token).toBe(token);
  });

  it('a token the server refuses (401) is refreshed once through the auth service and the call retried', async () => {
    const before = auth.tokenOf('alice', guard.url)!;
    guard.revoke(before);
    const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'after refresh' } }]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(ofType(events, 'tool-output-available')[0]!.chunk.output)).toContain('after refresh');
    const after = auth.tokenOf('alice', guard.url)!;
    expect(after).not.toBe(before);
    const rejected = auth.received.filter((r) => r.command === 'access-token' && r.data.rejected);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.data).toMatchObject({ userId: 'alice', serverUrl: guard.url, wwwAuthenticate: expect.stringContaining('invalid_token') });
    expect(guard.seen.filter((s) => s.status === 0).at(-1)!.token).toBe(after);
  });

  it('a 403 insufficient_scope asks for a step-up authorization with the challenged scope', async () => {
    const events = await runTools(alice, harnessId, [{ name: 'add', arguments: { a: 1, b: 2 } }]);
    const notices = ofType(events, 'data-mcp-auth');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.chunk.data).toEqual({ serverUrl: guard.url, status: 'required', authorizationUrl: expect.stringContaining('scope=mcp%3Aadmin') });
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.chunk.errorText).toContain('the MCP server secure needs you to connect your account');
    expect(errors[0]!.seq).toBeGreaterThan(notices[0]!.seq);
    expect(auth.received.filter((r) => r.command === 'start').at(-1)!.data).toMatchObject({ userId: 'alice', scope: 'mcp:admin', wwwAuthenticate: expect.stringContaining('insufficient_scope') });

    // Granting the scope (the step-up flow completes) lets the call through.
    const url = notices[0]!.chunk.data.authorizationUrl as string;
    const page = await openCallback(system, `code=c2&state=${encodeURIComponent(auth.stateOf(url))}`);
    expect(page.status).toBe(200);
    const retried = await runTools(alice, harnessId, [{ name: 'add', arguments: { a: 1, b: 2 } }]);
    expect(ofType(retried, 'tool-output-error')).toEqual([]);
    expect(ofType(retried, 'tool-output-available')).toHaveLength(1);
  });

  it('when the refresh fails (invalid_grant), the run gets data-mcp-auth and the call an error saying to connect', async () => {
    auth.refreshFails = true;
    try {
      guard.revoke(auth.tokenOf('alice', guard.url)!);
      const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'x' } }]);
      const notices = ofType(events, 'data-mcp-auth');
      expect(notices).toHaveLength(1);
      expect(notices[0]!.chunk).toMatchObject({ data: { serverUrl: guard.url, status: 'required', authorizationUrl: expect.stringContaining('state=') }, transient: true });
      const errors = ofType(events, 'tool-output-error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.chunk.errorText).toMatch(/^the MCP server secure needs you to connect your account/);
      expect(errors[0]!.seq).toBeGreaterThan(notices[0]!.seq);
      expect(events.at(-1)!.chunk.type).toBe('finish');
      expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).body.status).toBe('disconnected');
      const answer = (await alice.messages(lastConversation)).at(-1);
      expect(answer.parts.find((p: { type: string }) => p.type === 'dynamic-tool')).toMatchObject({ state: 'output-error' });
    } finally {
      auth.refreshFails = false;
    }
  });

  it('escapes hostile callback input, and posts only with the flow nonce to WEB_ORIGIN', async () => {
    // A state the auth service does not know (it echoes it in its message): an error page, nothing posted.
    const hostileState = '<script>alert(1)</script>"\'&';
    const unknown = await openCallback(system, `code=x&state=${encodeURIComponent(hostileState)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-/);
    expect(unknown.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(unknown.html).not.toContain('<script>alert');
    expect(unknown.html).not.toContain('<script');
    expect(runCallbackScript(unknown.html).posted).toEqual([]);

    // The authorization server redirects back with an error and a hostile description.
    const started = await alice.call('POST', '/v1/mcp/oauth/start', { serverUrl: guard.url });
    const description = '</script><script>alert("x")</script><!-- \u2028\u2029 & done';
    const page = await openCallback(
      system,
      `error=access_denied&error_description=${encodeURIComponent(description)}&state=${encodeURIComponent(auth.stateOf(started.body.authorizationUrl))}`,
    );
    expect(page.status).toBe(200);
    expect(page.html).toContain('Could not connect your account');
    expect(page.html).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;!--');
    expect(page.html.match(/<script/g)).toHaveLength(1);
    expect(page.html.match(/<\/script>/g)).toHaveLength(1);
    expect(page.html).not.toContain('<!--');
    const script = runCallbackScript(page.html);
    expect(script.scriptNonces).toEqual([cspNonce(page.headers.get('content-security-policy'))]);
    expect(script.posted).toEqual([
      {
        message: { type: 'harness:mcp-oauth', status: 'error', serverUrl: guard.url, message: `the authorization server said access_denied: ${description}`, nonce: started.body.nonce },
        targetOrigin: WEB_ORIGIN,
      },
    ]);
    // The line separators are escaped inside the script.
    const code = /<script[^>]*>([\s\S]*?)<\/script>/.exec(page.html)![1]!;
    expect(code).not.toMatch(/[\u2028\u2029]/);
    expect(code).toContain('\\u2028\\u2029');
  });

  it('keeps connections per user: bob sees none of alice\'s, and his harness on the same server is not authorized', async () => {
    await connect(alice, 'alice', guard.url);
    const bobHarness = (await bob.createHarness({ mcpServers: [{ name: 'same', url: guard.url, authType: 'oauth' }] })).id;
    expect((await bob.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).body).toEqual({ status: 'disconnected' });
    const tools = await bob.call('GET', `/v1/harnesses/${bobHarness}/tools`);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([expect.objectContaining({ message: OAUTH_NEEDED, authRequired: expect.objectContaining({ serverUrl: guard.url }) })]);
    // Every token the broker sent for bob was bob's (none: he has none), never alice's.
    const bobAsks = auth.received.filter((r) => r.command === 'access-token' && r.data.userId === 'bob');
    expect(bobAsks.length).toBeGreaterThan(0);
    expect((await bob.call('GET', `/v1/harnesses/${harnessId}/tools`)).status).toBe(404);
    // Alice is still connected, and disconnecting bob does not touch her connection.
    expect((await bob.call('DELETE', `/v1/mcp/oauth/connection?serverUrl=${encodeURIComponent(guard.url)}`)).status).toBe(204);
    expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).body.status).toBe('connected');
  });

  it('DELETE connection revokes: status disconnected, and the server is listed as needing the user again', async () => {
    const del = await alice.call('DELETE', `/v1/mcp/oauth/connection?serverUrl=${encodeURIComponent(guard.url)}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expect(auth.received.filter((r) => r.command === 'revoke').at(-1)!.data).toMatchObject({ userId: 'alice', serverUrl: guard.url });
    expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).body).toEqual({ status: 'disconnected' });
    // Not the listing made with the revoked token (it was cached): the server needs the user again.
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([expect.objectContaining({ message: OAUTH_NEEDED, authRequired: expect.objectContaining({ serverUrl: guard.url }) })]);
  });

  it('answers 503 when the auth service does not answer (the callback with a page)', async () => {
    await auth.pause();
    try {
      const started = await alice.call('POST', '/v1/mcp/oauth/start', { serverUrl: guard.url });
      expect(started.status).toBe(503);
      expect(started.body.error.code).toBe('service_unavailable');
      expect((await alice.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(guard.url)}`)).status).toBe(503);
      const page = await openCallback(system, 'code=a&state=b');
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.html).toContain('Could not connect your account');
    } finally {
      auth.resume();
    }
  }, 60_000);
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

/** The real auth service answers the OAuth commands once its controllers exist (it is being built alongside). */
function authServiceHandlesCommands(): boolean {
  const dir = join(repoRoot, 'services', 'auth', 'src');
  if (!existsSync(dir)) return false;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const patterns = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  return ['start', 'complete', 'status', 'revoke', 'accessToken'].every((c) => patterns.includes(`@MessagePattern(AuthSubjects.${c})`));
}

/**
 * The whole thing, like a user: the real auth service against an in-repo authorization server and the MCP server it
 * protects. The browser's part is played by following the authorization URL (the server approves at once) and
 * replaying its redirect on the gateway's callback.
 */
(authServiceHandlesCommands() ? describe : describe.skip)('MCP OAuth end to end (auth service, authorization server)', () => {
  let system: System;
  let as: OAuthTestServerHandle;
  let alice: Client;
  let bob: Client;
  let harnessId: string;

  const statusOf = async (client: Client) =>
    (await client.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).body as { status: string; scopes?: string[] };

  /** POST start, follow the authorization URL like a browser (redirect: manual), open the callback it points to. */
  const connectAccount = async (client: Client) => {
    const started = await client.call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url });
    expect(started.status).toBe(200);
    const authorize = await fetch(started.body.authorizationUrl, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${system.gatewayUrl}/v1/mcp/oauth/callback`);
    const page = await openCallback(system, location.search.slice(1));
    return { started: started.body as { authorizationUrl: string; nonce: string }, page };
  };

  beforeAll(async () => {
    as = await startOAuthTestServer();
    system = await startSystem({ label: 'mcp-oauth-real', env: { WEB_ORIGIN } });
    alice = await Client.as(system, 'alice');
    bob = await Client.as(system, 'bob');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'protected', url: as.url, authType: 'oauth' }] })).id;
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await as?.close();
  });

  it('lists the server as needing the user to connect until they do', async () => {
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.status).toBe(200);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([expect.objectContaining({ serverName: 'protected', message: OAUTH_NEEDED, authRequired: expect.objectContaining({ serverUrl: as.url }) })]);
    expect((await statusOf(alice)).status).toBe('disconnected');
  });

  it('connects through start, the authorization server and the callback page', async () => {
    const { started, page } = await connectAccount(alice);
    expect(page.status).toBe(200);
    const nonce = cspNonce(page.headers.get('content-security-policy'));
    expect(page.headers.get('content-security-policy')).toBe(`default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const script = runCallbackScript(page.html);
    expect(script.posted).toEqual([{ message: expect.objectContaining({ type: 'harness:mcp-oauth', status: 'connected', serverUrl: as.url, nonce: started.nonce }), targetOrigin: WEB_ORIGIN }]);
    expect(script.closed).toBe(true);

    expect((await statusOf(alice)).status).toBe('connected');
    const tools = await alice.call('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.body.errors).toEqual([]);
    expect(tools.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['admin', 'echo', 'whoami']);
  });

  it('escapes a hostile error_description on the callback page', async () => {
    const started = await alice.call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url });
    const state = new URL(started.body.authorizationUrl).searchParams.get('state')!;
    const query = new URLSearchParams({ state, error: 'access_denied', error_description: '<script>alert(1)</script>', iss: as.issuer });
    const page = await openCallback(system, query.toString());
    expect(page.html).not.toContain('<script>alert(1)');
    expect(page.html.match(/<script/g)?.length ?? 0).toBeLessThanOrEqual(1);
    for (const { targetOrigin } of runCallbackScript(page.html).posted) expect(targetOrigin).toBe(WEB_ORIGIN);
    // The failed attempt does not disconnect the account.
    expect((await statusOf(alice)).status).toBe('connected');
  });

  it('a tool call in a chat run succeeds with the user\'s token, and after the token expires (refreshed)', async () => {
    const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'hello oauth' } }]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(ofType(events, 'tool-output-available')[0]!.chunk.output)).toContain('hello oauth');

    const refreshes = as.stats.refreshes;
    as.expireAccessTokens();
    const again = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'after expiry' } }]);
    expect(ofType(again, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(ofType(again, 'tool-output-available')[0]!.chunk.output)).toContain('after expiry');
    expect(as.stats.refreshes).toBe(refreshes + 1);
  });

  it('a 403 insufficient_scope gives a step-up authorization URL; after it the call goes through', async () => {
    const events = await runTools(alice, harnessId, [{ name: 'admin', arguments: {} }]);
    const notices = ofType(events, 'data-mcp-auth');
    expect(notices).toHaveLength(1);
    const authorizationUrl = notices[0]!.chunk.data.authorizationUrl as string;
    expect(notices[0]!.chunk.data).toMatchObject({ serverUrl: as.url, status: 'required' });
    expect(new URL(authorizationUrl).searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['mcp:admin']));
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.chunk.errorText).toMatch(/^the MCP server protected needs you to connect your account/);

    // The user follows the step-up URL (the server approves at once) and the callback completes it.
    const authorize = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const page = await openCallback(system, new URL(authorize.headers.get('location')!).search.slice(1));
    expect(page.status).toBe(200);
    expect(runCallbackScript(page.html).posted[0]?.message.status).toBe('connected');
    const retried = await runTools(alice, harnessId, [{ name: 'admin', arguments: {} }]);
    expect(ofType(retried, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(ofType(retried, 'tool-output-available')[0]!.chunk.output)).toContain('admin ok');
  });

  it('another user cannot see or use alice\'s connection', async () => {
    expect((await statusOf(bob)).status).toBe('disconnected');
    const bobHarness = (await bob.createHarness({ mcpServers: [{ name: 'same', url: as.url, authType: 'oauth' }] })).id;
    const tools = await bob.call('GET', `/v1/harnesses/${bobHarness}/tools`);
    expect(tools.body.items).toEqual([]);
    expect(tools.body.errors).toEqual([expect.objectContaining({ message: OAUTH_NEEDED })]);
    expect((await statusOf(alice)).status).toBe('connected');
  });

  it('when the tokens are revoked and the refresh fails (invalid_grant), the run asks the user to connect', async () => {
    // Listed with the current token first (the listing is cached per token), so the run offers the tools and the
    // call is what meets the expired token.
    expect((await alice.call('GET', `/v1/harnesses/${harnessId}/tools`)).body.errors).toEqual([]);
    as.knobs.failRefresh = true;
    try {
      as.expireAccessTokens();
      const events = await runTools(alice, harnessId, [{ name: 'echo', arguments: { text: 'x' } }]);
      const notices = ofType(events, 'data-mcp-auth');
      expect(notices.length).toBeGreaterThanOrEqual(1);
      expect(notices.at(-1)!.chunk.data).toMatchObject({ serverUrl: as.url, status: 'required' });
      const errors = ofType(events, 'tool-output-error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.chunk.errorText).toMatch(/^the MCP server protected needs you to connect your account/);
      expect(errors[0]!.seq).toBeGreaterThan(notices.at(-1)!.seq);
      expect(['expired', 'disconnected']).toContain((await statusOf(alice)).status);
    } finally {
      as.knobs.failRefresh = false;
    }
  });

  it('DELETE connection → status disconnected', async () => {
    const { page } = await connectAccount(alice);
    expect(page.status).toBe(200);
    expect((await statusOf(alice)).status).toBe('connected');
    const del = await alice.call('DELETE', `/v1/mcp/oauth/connection?serverUrl=${encodeURIComponent(as.url)}`);
    expect(del.status).toBe(204);
    expect((await statusOf(alice)).status).toBe('disconnected');
  });
});
