// The auth service (a real process, over NATS) against tools/oauth-test-server: the authorization flow, state and
// iss checks, step-up, revoke, and tokens encrypted at rest.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { authorize, connectUser, newBinding, ok, scanDatabase, startAuthSystem, type AuthSystem, authorizationOf } from './support/auth-oauth.js';

let sys: AuthSystem;
const servers: OAuthTestServerHandle[] = [];

beforeAll(async () => {
  sys = await startAuthSystem('auth-connect', 1);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sys?.stop();
});

async function oauthServer(opts: Parameters<typeof startOAuthTestServer>[0] = {}): Promise<OAuthTestServerHandle> {
  const srv = await startOAuthTestServer(opts);
  servers.push(srv);
  return srv;
}

/** A complete that must not connect: an error reply, or `status: "error"`. */
async function expectRefused(p: ReturnType<AuthSystem['auth']['complete']>): Promise<void> {
  const reply = await p;
  if (reply.ok) expect(reply.data.status).toBe('error');
}

describe('auth service: authorization flow', () => {
  test('start builds a PKCE S256 authorization URL with resource and state; complete connects; status and accessToken agree', async () => {
    const srv = await oauthServer();
    const userId = 'flow-basic';
    const a = await authorize(sys.auth, userId, srv.url);
    const p = a.authorizationUrl.searchParams;
    expect(a.authorizationUrl.origin + a.authorizationUrl.pathname).toBe(srv.endpoints.authorization);
    expect(p.get('response_type')).toBe('code');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('resource')).toBe(srv.url);
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(16);
    expect(a.iss).toBe(srv.issuer);
    expect(srv.stats.registrations).toBe(1);
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url }))).toMatchObject({ status: 'disconnected' });

    const done = ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding }));
    expect(done).toMatchObject({ status: 'connected', serverUrl: srv.url });
    expect(srv.stats.tokenRequests).toEqual([expect.objectContaining({ grantType: 'authorization_code', resource: srv.url, outcome: 'ok' })]);
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url }))).toMatchObject({ status: 'connected' });
    const token = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
    if (token.status !== 'connected') throw new Error(`${token.status}: ${token.message}`);
    expect(srv.isAccessTokenValid(token.accessToken)).toBe(true);
    expect(token.tokenType.toLowerCase()).toBe('bearer');
    // Another user of the same server has no connection.
    expect(ok(await sys.auth.status({ userId: 'flow-basic-other', serverUrl: srv.url }))).toMatchObject({ status: 'disconnected' });
  });

  test('state: single use, unknown state refused, another user\'s code or another signed-in user cannot complete a flow', async () => {
    const srv = await oauthServer();
    const a = await authorize(sys.auth, 'state-a', srv.url);
    ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding }));
    const exchanges = srv.stats.tokenCalls.authorization_code;
    await expectRefused(sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding })); // reused state
    await expectRefused(sys.auth.complete({ state: randomBytes(24).toString('base64url'), code: a.code, iss: a.iss })); // unknown state
    expect(srv.stats.tokenCalls.authorization_code).toBe(exchanges); // neither reached the token endpoint

    // User B's state with user C's code: the state's PKCE verifier does not match C's challenge; nobody is connected.
    const b = await authorize(sys.auth, 'state-b', srv.url);
    const c = await authorize(sys.auth, 'state-c', srv.url);
    await expectRefused(sys.auth.complete({ state: b.state, code: c.code, iss: c.iss, binding: b.binding }));
    for (const userId of ['state-b', 'state-c']) {
      expect(ok(await sys.auth.status({ userId, serverUrl: srv.url })).status).not.toBe('connected');
    }

    // The gateway names the signed-in user at the callback: another user's state is refused before any exchange.
    const d = await authorize(sys.auth, 'state-d', srv.url);
    const before = srv.stats.tokenCalls.authorization_code;
    await expectRefused(sys.auth.complete({ state: d.state, code: d.code, iss: d.iss, binding: d.binding, userId: 'state-e' }));
    expect(srv.stats.tokenCalls.authorization_code).toBe(before);
    for (const userId of ['state-d', 'state-e']) {
      expect(ok(await sys.auth.status({ userId, serverUrl: srv.url })).status).not.toBe('connected');
    }
    // ...and that state is spent: not even its own user can use it afterwards.
    await expectRefused(sys.auth.complete({ state: d.state, code: d.code, iss: d.iss, binding: d.binding, userId: 'state-d' }));
  });

  test('the same callback delivered twice at once: one exchange, one connection, the other refused', async () => {
    const srv = await oauthServer();
    const a = await authorize(sys.auth, 'double-callback', srv.url);
    const replies = await Promise.all([1, 2].map(() => sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding })));
    const statuses = replies.map((r) => (r.ok ? r.data.status : r.error.code)).sort();
    expect(statuses).toEqual(['connected', 'error']);
    expect(srv.stats.tokenCalls.authorization_code).toBe(1);
    expect(srv.stats.invalidGrants).toBe(0);
  });

  test('the user denies at the authorization server: complete reports the error, nothing is stored, the state is spent', async () => {
    const srv = await oauthServer({ denyAuthorization: true });
    const binding = newBinding();
    const started = authorizationOf(ok(await sys.auth.start({ userId: 'denied', serverUrl: srv.url, binding })));
    const res = await fetch(started.authorizationUrl, { redirect: 'manual' });
    const cb = new URL(res.headers.get('location')!);
    expect(cb.searchParams.get('error')).toBe('access_denied');
    const p = { state: cb.searchParams.get('state')!, iss: cb.searchParams.get('iss') ?? undefined, error: 'access_denied', errorDescription: cb.searchParams.get('error_description') ?? undefined, binding };
    const done = ok(await sys.auth.complete(p));
    // The user's own flow that failed at the authorization server: not a refused state, and the page may tell its opener.
    expect(done).toMatchObject({ status: 'error', nonce: started.nonce });
    expect(done.refused).toBeUndefined();
    expect(done.message).toMatch(/access_denied/);
    expect(srv.stats.tokenCalls.authorization_code).toBe(0);
    expect(ok(await sys.auth.status({ userId: 'denied', serverUrl: srv.url })).status).toBe('disconnected');
    await expectRefused(sys.auth.complete(p));
  });

  test('RFC 9207: iss advertised → a wrong or missing iss is refused before any token request; not advertised → none needed', async () => {
    const srv = await oauthServer();
    const wrong = await authorize(sys.auth, 'iss-wrong', srv.url);
    await expectRefused(sys.auth.complete({ state: wrong.state, code: wrong.code, iss: 'http://127.0.0.1:1/evil', binding: wrong.binding }));
    const missing = await authorize(sys.auth, 'iss-missing', srv.url);
    await expectRefused(sys.auth.complete({ state: missing.state, code: missing.code, binding: missing.binding }));
    expect(srv.stats.tokenCalls.authorization_code).toBe(0);
    expect(ok(await sys.auth.status({ userId: 'iss-wrong', serverUrl: srv.url })).status).not.toBe('connected');

    const plain = await oauthServer({ issParameter: false });
    const a = await authorize(sys.auth, 'iss-none', plain.url);
    expect(a.iss).toBeUndefined();
    expect(ok(await sys.auth.complete({ state: a.state, code: a.code, binding: a.binding }))).toMatchObject({ status: 'connected' });
  });

  test('step-up on 403 insufficient_scope: the union of earlier and challenged scopes is requested, then granted', async () => {
    const srv = await oauthServer();
    const userId = 'step-up';
    const first = await authorize(sys.auth, userId, srv.url, {
      wwwAuthenticate: `Bearer resource_metadata="${srv.resourceMetadataUrl}", scope="mcp:read"`,
    });
    expect(first.authorizationUrl.searchParams.get('scope')?.split(' ')).toContain('mcp:read');
    ok(await sys.auth.complete({ state: first.state, code: first.code, iss: first.iss, binding: first.binding }));
    const granted = ok(await sys.auth.status({ userId, serverUrl: srv.url }));
    expect(granted.status).toBe('connected');

    const challenge = `Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${srv.resourceMetadataUrl}"`;
    const up = await authorize(sys.auth, userId, srv.url, { scope: 'mcp:admin', wwwAuthenticate: challenge });
    const requested = up.authorizationUrl.searchParams.get('scope')?.split(' ') ?? [];
    expect(requested).toEqual(expect.arrayContaining(['mcp:read', 'mcp:admin']));
    for (const s of srv.stats.authorizeRequests[0]!.scope?.split(' ') ?? []) expect(requested).toContain(s);
    ok(await sys.auth.complete({ state: up.state, code: up.code, iss: up.iss, binding: up.binding }));
    const after = ok(await sys.auth.status({ userId, serverUrl: srv.url }));
    expect(after.status).toBe('connected');
    if (after.scopes) expect(after.scopes).toEqual(expect.arrayContaining(['mcp:read', 'mcp:admin']));

  });

  test('step-up cap: the server keeps asking for a scope the user never grants → three authorizations, the 4th start is refused', async () => {
    const srv = await oauthServer({ withheldScopes: ['mcp:admin:write'], scopesSupported: ['mcp:read', 'mcp:admin:write', 'offline_access'] });
    const userId = 'step-up-limit';
    // Connected first for mcp:read only (so the first authorization is not one of the step-up's scope set).
    const first = await authorize(sys.auth, userId, srv.url, { wwwAuthenticate: `Bearer resource_metadata="${srv.resourceMetadataUrl}", scope="mcp:read"` });
    expect(ok(await sys.auth.complete({ state: first.state, code: first.code, iss: first.iss, binding: first.binding }))).toMatchObject({ status: 'connected' });
    const challenge = `Bearer error="insufficient_scope", scope="mcp:admin:write", resource_metadata="${srv.resourceMetadataUrl}"`;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const a = await authorize(sys.auth, userId, srv.url, { scope: 'mcp:admin:write', wwwAuthenticate: challenge });
      expect(a.authorizationUrl.searchParams.get('scope')?.split(' ')).toContain('mcp:admin:write');
      const done = ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding }), `step-up attempt ${attempt}`);
      expect(done.status).toBe('connected'); // connected, but still without the scope
    }
    const authorizeCalls = srv.stats.authorizeCalls;
    const fourth = await sys.auth.start({ userId, serverUrl: srv.url, scope: 'mcp:admin:write', wwwAuthenticate: challenge });
    expect(fourth.ok).toBe(false);
    if (!fourth.ok) {
      expect(fourth.error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } });
      const retryAfter = (fourth.error.details as { retryAfterSeconds: number }).retryAfterSeconds;
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
    }
    expect(srv.stats.authorizeCalls).toBe(authorizeCalls);
  });

  test('the cap counts only authorizations that did not get their scopes: reconnecting four times with every scope granted is allowed', async () => {
    const srv = await oauthServer({ scopesSupported: ['mcp:read', 'offline_access'] });
    const userId = 'reconnects';
    for (let attempt = 1; attempt <= 4; attempt++) {
      const a = await authorize(sys.auth, userId, srv.url);
      const done = ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding }), `reconnect ${attempt}`);
      expect(done.status).toBe('connected');
    }
    expect(srv.stats.authorizeCalls).toBeGreaterThanOrEqual(4);
  });

  test('a user not connected yet is offered the same pending authorization again, without a new round of discovery', async () => {
    const srv = await oauthServer();
    const userId = 'not-yet';
    const probesBefore = srv.stats.unauthorized;
    const first = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }), 'first accessToken');
    expect(first.status).toBe('disconnected');
    const probesAfterFirst = srv.stats.unauthorized;
    expect(probesAfterFirst).toBeGreaterThan(probesBefore);
    const second = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }), 'second accessToken');
    expect(second.status).toBe('disconnected');
    const urlOf = (r: typeof first) => (r.status === 'connected' ? undefined : r.authorizationUrl);
    expect(urlOf(first)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
    expect(urlOf(second)).toBe(urlOf(first));
    expect(srv.stats.unauthorized).toBe(probesAfterFirst);
  });

  test('revoke: RFC 7009 at the authorization server, status disconnected, the stored tokens are gone', async () => {
    const srv = await oauthServer();
    const userId = 'revoke-user';
    const { accessToken } = await connectUser(sys.auth, srv, userId);
    // Rows holding tokens (a column named like *token*) for this user: the connection. States and attempt counters may stay.
    const tokenRows = async () =>
      (await scanDatabase(sys.system.databaseUrl, [])).rowsWith(userId).filter((r) => Object.keys(r.columns).some((c) => /token/i.test(c) && !/method/i.test(c)));
    expect(await tokenRows()).not.toHaveLength(0);

    expect(ok(await sys.auth.revoke({ userId, serverUrl: srv.url }))).toEqual({ revoked: true });
    const [client] = srv.clients();
    expect(srv.stats.revocations.length).toBeGreaterThan(0);
    expect(srv.stats.revocations.every((r) => r.clientId === client!.clientId && r.kind !== 'unknown')).toBe(true);
    // The grant is over: the refresh token (and with it the access token) no longer works.
    expect(srv.stats.refreshTokensValid).toBe(0);
    expect(srv.isAccessTokenValid(accessToken)).toBe(false);

    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url }))).toMatchObject({ status: 'disconnected' });
    expect(ok(await sys.auth.accessToken({ userId, serverUrl: srv.url })).status).toBe('disconnected');
    expect((await tokenRows()).map((r) => r.table)).toEqual([]);
  });

  test('encryption at rest: no access token, refresh token, client secret, state or code is readable in any column', async () => {
    const srv = await oauthServer();
    const userId = 'at-rest';
    const { accessToken, authorized } = await connectUser(sys.auth, srv, userId);
    // A refresh too, so rotated tokens are stored as well.
    const refreshed = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url, rejected: true }));
    expect(refreshed.status).toBe('connected');
    expect(srv.stats.refreshes).toBe(1);

    const secrets = [
      ...srv.issuedAccessTokens(),
      ...srv.issuedRefreshTokens(),
      ...srv.clients().flatMap((c) => (c.clientSecret ? [c.clientSecret] : [])),
      authorized.state, // stored hashed
      authorized.code,
    ];
    expect(secrets).toContain(accessToken);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const scan = await scanDatabase(sys.system.databaseUrl, secrets);
    expect(scan.contains(userId)).toBe(true); // the scan does see the connection's row
    expect(scan.findings).toEqual([]);
    // The scanner does find what is stored in the clear (the user id, the client id): it is not blind.
    const control = await scanDatabase(sys.system.databaseUrl, [userId, srv.clients()[0]!.clientId]);
    expect(new Set(control.findings.map((f) => f.needle)).size).toBe(2);
  });
});

describe('auth service: the callback is bound to the browser that started the flow', () => {
  /** Plays the browser on an authorization URL: the authorization server's redirect back (code, state, iss). */
  async function follow(authorizationUrl: string) {
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    const cb = new URL(res.headers.get('location')!);
    return { state: cb.searchParams.get('state')!, code: cb.searchParams.get('code')!, iss: cb.searchParams.get('iss') ?? undefined };
  }

  async function expireState(state: string) {
    const client = new pg.Client({ connectionString: sys.system.databaseUrl });
    await client.connect();
    try {
      const { rowCount } = await client.query(`UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1`, [
        createHash('sha256').update(state).digest('hex'),
      ]);
      expect(rowCount).toBe(1);
    } finally {
      await client.end();
    }
  }

  test('the right state without the binding, or with another browser\'s, is refused before any token request and spent', async () => {
    const srv = await oauthServer();
    for (const [userId, carried] of [['bind-none', undefined], ['bind-other', newBinding()]] as const) {
      const a = await authorize(sys.auth, userId, srv.url);
      const refused = ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, ...(carried ? { binding: carried } : {}) }));
      expect(refused).toMatchObject({ status: 'error', refused: 'other_browser', serverUrl: srv.url, message: expect.stringMatching(/not started in this browser/) });
      expect(refused.nonce).toBeUndefined();
      // Spent: the browser that started it cannot use it afterwards either.
      expect(ok(await sys.auth.complete({ state: a.state, code: a.code, iss: a.iss, binding: a.binding }))).toMatchObject({ status: 'error', refused: 'used' });
      expect(ok(await sys.auth.status({ userId, serverUrl: srv.url })).status).toBe('disconnected');
    }
    expect(srv.stats.tokenCalls.authorization_code).toBe(0);
    expect(srv.issuedAccessTokens()).toEqual([]);
  });

  test('refused states: replayed, unknown and another browser\'s post nothing; only the browser\'s own expired flow may tell its opener', async () => {
    const srv = await oauthServer();
    const done = await authorize(sys.auth, 'refusals', srv.url);
    expect(ok(await sys.auth.complete({ state: done.state, code: done.code, iss: done.iss, binding: done.binding })).status).toBe('connected');
    const replayed = ok(await sys.auth.complete({ state: done.state, code: done.code, iss: done.iss, binding: done.binding }));
    expect(replayed).toMatchObject({ status: 'error', refused: 'used' });
    expect(replayed.nonce).toBeUndefined();
    const unknown = ok(await sys.auth.complete({ state: randomBytes(32).toString('base64url'), code: 'x', binding: done.binding }));
    expect(unknown).toMatchObject({ status: 'error', refused: 'unknown', serverUrl: '' });
    expect(unknown.nonce).toBeUndefined();

    const started = authorizationOf(ok(await sys.auth.start({ userId: 'refusals-expired', serverUrl: srv.url, binding: done.binding })));
    const own = await follow(started.authorizationUrl);
    await expireState(own.state);
    expect(ok(await sys.auth.complete({ ...own, binding: done.binding }))).toEqual({
      serverUrl: srv.url, status: 'error', refused: 'expired', message: expect.stringMatching(/expired/), nonce: started.nonce,
    });
    const foreign = await authorize(sys.auth, 'refusals-expired-foreign', srv.url);
    await expireState(foreign.state);
    const other = ok(await sys.auth.complete({ state: foreign.state, code: foreign.code, iss: foreign.iss, binding: newBinding() }));
    expect(other).toMatchObject({ refused: 'other_browser' });
    expect(other.nonce).toBeUndefined();
    expect(srv.stats.tokenCalls.authorization_code).toBe(1);
  });

  test('a reconnect prompt of the broker (unbound) completes only once a start from the browser has bound it', async () => {
    const srv = await oauthServer();
    const userId = 'bind-prompt';
    const promptUrl = async () => {
      const r = ok(await sys.auth.accessToken({ userId, serverUrl: srv.url }));
      if (r.status === 'connected' || !r.authorizationUrl) throw new Error(`expected a prompt, got ${r.status}`);
      return r.authorizationUrl;
    };
    // Opened straight from the prompt: no browser was ever bound to it.
    const opened = await follow(await promptUrl());
    expect(ok(await sys.auth.complete({ ...opened, binding: newBinding() }))).toMatchObject({ status: 'error', refused: 'other_browser' });
    expect(srv.stats.tokenCalls.authorization_code).toBe(0);

    // The web app asks start for the server from the browser: the prompt's authorization, now bound to that browser.
    const prompt = await promptUrl();
    const browser = newBinding();
    const bound = authorizationOf(ok(await sys.auth.start({ userId, serverUrl: srv.url, binding: browser })));
    expect(bound.authorizationUrl).toBe(prompt);
    expect(authorizationOf(ok(await sys.auth.start({ userId, serverUrl: srv.url, binding: browser }))).authorizationUrl).toBe(prompt);
    // Another browser of the user is not handed this one (its callback would be refused there): it gets its own.
    const elsewhere = authorizationOf(ok(await sys.auth.start({ userId, serverUrl: srv.url, binding: newBinding() })));
    expect(elsewhere.authorizationUrl).not.toBe(prompt);

    const back = await follow(bound.authorizationUrl);
    expect(ok(await sys.auth.complete({ ...back, binding: browser }))).toEqual({ serverUrl: srv.url, status: 'connected', nonce: bound.nonce });
    expect(ok(await sys.auth.status({ userId, serverUrl: srv.url })).status).toBe('connected');
  });
});
