import { hashSessionToken } from '@harness/contracts';
import { startSystem, waitFor, type System } from '@harness/testing';
import { ROGUE_MODES, startRogueOidc, type RogueMode, type RogueOidc } from './support/rogue-oidc.js';
import { Browser, signInWithDevIdp, untilCallback } from './support/sign-in.js';

/**
 * Signing in through real providers over real HTTP: the dev IdP (tools/dev-idp, what `npm start` uses) with its page
 * posted as a browser would, and a misbehaving OIDC provider whose ID tokens are wrong in one way each. Then the
 * session cookie on the API: /v1/me, sign-out, sign out everywhere, expiry, and the CSRF rules.
 */
describe('sign-in', () => {
  let system: System;
  let rogue: RogueOidc;
  let gw: string;
  let origin: string;
  const web = () => ({ origin, 'x-harness-client': 'web' });

  beforeAll(async () => {
    rogue = await startRogueOidc();
    system = await startSystem({
      label: 'sign-in',
      // info: the access log and the sign-in refusals are written, so the test can check what never reaches them.
      env: { HARNESS_ADMIN_USERS: 'root, admin@dev.local', LOG_LEVEL: 'info' },
      loginProviders: [
        ...ROGUE_MODES.map((mode) => ({
          id: `rogue-${mode}`, type: 'oidc', name: `Rogue ${mode}`, issuer: rogue.issuerOf(mode), clientId: rogue.clientId, clientSecret: rogue.clientSecret,
        })),
        // Only its redirect is exercised here (the GitHub-shaped server's end-to-end test is another one's).
        { id: 'gh', type: 'github', name: 'GitHub', clientId: 'gh-client', clientSecret: 'gh-secret', authorizationUrl: 'https://github.example.test/login/oauth/authorize' },
      ],
    });
    gw = system.gatewayUrl;
    origin = new URL(gw).origin;
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await rogue?.close();
  });

  const sessionOf = (browser: Browser) => browser.cookie(gw, 'harness_session');
  const me = (browser: Browser) => browser.request(`${gw}/v1/me`);
  const signedIn = async (username: string, returnTo?: string) => {
    const browser = new Browser();
    const { callback } = await signInWithDevIdp(browser, gw, username, returnTo);
    expect(callback.status).toBe(302);
    expect(sessionOf(browser)).toBeDefined();
    return browser;
  };
  const expectErrorPage = async (res: Response, status: number, message: RegExp) => {
    const html = await res.text();
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: 'text/html; charset=utf-8' });
    expect(html).toMatch(message);
    expect(html).not.toMatch(/\bat \S+ \(|Error:|node_modules/); // never a stack trace
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/harness_session=[^;]/);
  };

  it('lists the providers (public), without anything secret', async () => {
    const res = await fetch(`${gw}/v1/auth/providers`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { id: string; name: string }[] };
    expect(body.items[0]).toEqual({ id: 'dev', name: 'Dev' });
    expect(body.items.map((p) => p.id)).toEqual(['dev', ...ROGUE_MODES.map((m) => `rogue-${m}`), 'gh']);
    expect(JSON.stringify(body)).not.toContain(rogue.clientSecret);
  });

  it('redirects to the provider with state, PKCE S256 and (OIDC) a nonce, and binds the sign-in to the browser', async () => {
    const browser = new Browser();
    const res = await browser.request(`${gw}/auth/login/gh?returnTo=/x`);
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe('https://github.example.test/login/oauth/authorize');
    expect(Object.fromEntries(to.searchParams)).toEqual({
      response_type: 'code', client_id: 'gh-client', redirect_uri: `${gw}/auth/callback/gh`, scope: 'read:user user:email',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), code_challenge_method: 'S256',
    });
    const binding = res.headers.getSetCookie().find((c) => c.startsWith('harness_login='))!;
    expect(binding).toMatch(/^harness_login=[A-Za-z0-9_-]{43}; Path=\/auth; Max-Age=600; HttpOnly; SameSite=Lax$/);
    // A second sign-in in the same browser keeps its binding (two tabs both complete); each has its own state.
    const again = new URL((await browser.request(`${gw}/auth/login/gh`)).headers.get('location')!);
    expect(again.searchParams.get('state')).not.toBe(to.searchParams.get('state'));
    expect(browser.cookie(gw, 'harness_login')).toBe(binding.split(';')[0]!.slice('harness_login='.length));

    const oidc = new URL((await browser.request(`${gw}/auth/login/rogue-good`)).headers.get('location')!);
    expect(oidc.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(oidc.searchParams.get('scope')).toBe('openid profile email');
  });

  it('signs in through the dev IdP\'s page: the session cookie, returnTo, /v1/me, and the same user id the next time', async () => {
    const browser = new Browser();
    const { callback } = await signInWithDevIdp(browser, gw, 'alice', '/conversations?tab=mine#top');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/conversations?tab=mine#top');
    const setCookie = callback.headers.getSetCookie().find((c) => c.startsWith('harness_session='))!;
    const [pair, ...attrs] = setCookie.split(';').map((s) => s.trim());
    expect(pair).toMatch(/^harness_session=[A-Za-z0-9_-]{43}$/);
    expect(attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax']));
    expect(attrs).not.toContain('Secure'); // PUBLIC_URL is http here
    expect(Number(attrs.find((a) => a.startsWith('Max-Age='))!.slice(8))).toBeGreaterThan(3_600);

    const res = await me(browser);
    expect(res.status).toBe(200);
    const alice = (await res.json()) as { id: string; name: string; email: string; admin: boolean };
    expect(alice).toMatchObject({ name: 'alice', email: 'alice@dev.local', admin: false });

    // Another browser (no SSO session at the IdP), the same person: the same user.
    const again = await signedIn('alice');
    expect(((await (await me(again)).json()) as { id: string }).id).toBe(alice.id);
    const bob = await signedIn('bob');
    expect(((await (await me(bob)).json()) as { id: string }).id).not.toBe(alice.id);

    // The cookie works on the rest of the API too, for reads (no CSRF check on GET).
    expect((await browser.request(`${gw}/v1/harnesses`)).status).toBe(200);
  });

  it('keeps returnTo on this origin: anything else lands on /', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const { callback } = await signInWithDevIdp(new Browser(), gw, 'carol', returnTo);
      expect({ returnTo, location: callback.headers.get('location') }).toEqual({ returnTo, location: '/' });
    }
  });

  it('/v1/me works for bearer users too: a JWT user who never signed in is named by the id; admins by id or verified e-mail', async () => {
    const jwt = async (user: string) => (await fetch(`${gw}/v1/me`, { headers: { authorization: `Bearer ${await system.token(user)}` } })).json();
    expect(await jwt('dave')).toEqual({ id: 'dave', name: 'dave', admin: false });
    expect(await jwt('root')).toEqual({ id: 'root', name: 'root', admin: true });
    const admin = await signedIn('admin');
    const profile = (await (await me(admin)).json()) as { id: string; admin: boolean; email: string };
    expect(profile).toMatchObject({ admin: true, email: 'admin@dev.local' });
    // The same user with a bearer: the profile (and so the admin e-mail) comes from the auth service.
    expect(await jwt(profile.id)).toMatchObject({ id: profile.id, name: 'admin', admin: true });
  });

  it('signs out: 204, the cookie cleared, the session over (401 at once on this gateway)', async () => {
    const browser = await signedIn('erin');
    const token = sessionOf(browser)!;
    expect((await me(browser)).status).toBe(200);
    const res = await browser.request(`${gw}/auth/logout`, { method: 'POST', headers: web() });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^harness_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax/));
    expect(sessionOf(browser)).toBeUndefined();
    const stale = await fetch(`${gw}/v1/me`, { headers: { cookie: `harness_session=${token}` } });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('signs out everywhere: every session of the user ends', async () => {
    const first = await signedIn('frank');
    const second = await signedIn('frank');
    const other = await signedIn('grace');
    expect((await me(second)).status).toBe(200);
    expect((await first.request(`${gw}/auth/logout-all`, { method: 'POST', headers: web() })).status).toBe(204);
    await waitFor(async () => (await me(second)).status === 401, { description: 'the other session of the user ended' });
    expect((await me(first)).status).toBe(401);
    expect((await me(other)).status).toBe(200);
  });

  it('refuses an expired session (401)', async () => {
    const browser = await signedIn('heidi');
    expect((await me(browser)).status).toBe(200);
    const { rowCount } = await system.db.pool.query(
      "UPDATE sessions SET expires_at = now() - interval '1 second', created_at = now() - interval '2 days' WHERE token_hash = $1",
      [hashSessionToken(sessionOf(browser)!)],
    );
    expect(rowCount).toBe(1);
    // Within the gateway's verification cache (at most 5 s).
    await waitFor(async () => (await me(browser)).status === 401, { timeoutMs: 15_000, description: 'the expired session refused' });
  });

  it('CSRF: a cookie request that changes state needs the app\'s Origin and X-Harness-Client: web; a bearer needs neither', async () => {
    const browser = await signedIn('ivan');
    const create = (headers: Record<string, string>) =>
      browser.request(`${gw}/v1/harnesses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'h', model: 'sim/echo' }) });
    const refused: Record<string, string>[] = [
      {}, { origin: 'https://evil.example', 'x-harness-client': 'web' }, { origin }, { 'x-harness-client': 'web' }, { origin: 'null', 'x-harness-client': 'web' },
    ];
    for (const headers of refused) {
      const res = await create(headers);
      const body = (await res.json()) as { error?: { code: string } };
      expect({ headers, status: res.status, code: body.error?.code }).toEqual({ headers, status: 403, code: 'csrf_failed' });
    }
    const ok = await create(web());
    expect(ok.status).toBe(201);
    // Sign-out is checked the same way (a forged sign-out is refused and the session lives on).
    const forged = await browser.request(`${gw}/auth/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect((await me(browser)).status).toBe(200);
    expect((await browser.request(`${gw}/auth/logout-all`, { method: 'POST' })).status).toBe(403);
    expect((await me(browser)).status).toBe(200);

    const bearer = await fetch(`${gw}/v1/harnesses`, {
      method: 'POST', headers: { authorization: `Bearer ${await system.token('ivan')}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'h', model: 'sim/echo' }),
    });
    expect(bearer.status).toBe(201);
  });

  it('refuses a replayed state, a replayed code, and a callback opened in another browser (login CSRF)', async () => {
    const browser = new Browser();
    const first = await signInWithDevIdp(browser, gw, 'judy');
    expect(first.callback.status).toBe(302);
    // The same callback again: its state was used.
    await expectErrorPage(await browser.request(first.callbackUrl), 400, /expired or was already used/);

    // A new sign-in in the same browser (the IdP signs it in at once): a fresh state, with the old code.
    const started = await browser.navigate(`${gw}/auth/login/dev`, (u) => u.pathname === '/auth/callback/dev');
    const fresh = new URL(started.url);
    const oldCode = new URL(first.callbackUrl).searchParams.get('code')!;
    expect(fresh.searchParams.get('code')).not.toBe(oldCode);
    fresh.searchParams.set('code', oldCode);
    await expectErrorPage(await browser.request(fresh.href), 400, /refused the authorization code/);

    // A callback URL sent to someone else signs nobody in.
    const victim = new Browser();
    const attacker = new Browser();
    const lured = await untilCallback(attacker, gw, 'mallory');
    await expectErrorPage(await victim.request(lured), 400, /started in another browser/);
    expect(sessionOf(victim)).toBeUndefined();
  });

  it('shows the provider\'s refusal on the page, escaped', async () => {
    const browser = new Browser();
    const started = await browser.navigate(`${gw}/auth/login/rogue-good`, (u) => u.pathname === '/auth/callback/rogue-good');
    const state = new URL(started.url).searchParams.get('state')!;
    const res = await browser.request(`${gw}/auth/callback/rogue-good?error=access_denied&error_description=${encodeURIComponent('<script>alert(1)</script>')}&state=${state}`);
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    // RFC 9207: an `iss` in the redirect that is not this provider's issuer.
    const mixedUp = new URL(await untilCallback(browser, gw, 'lena'));
    mixedUp.searchParams.set('iss', rogue.issuerOf('good'));
    await expectErrorPage(await browser.request(mixedUp.href), 400, /another issuer/);
    await expectErrorPage(await fetch(`${gw}/auth/login/nope`), 404, /no sign-in provider/);
    await expectErrorPage(await fetch(`${gw}/auth/callback/dev`), 400, /no authorization code/);
  });

  it('refuses an OIDC provider\'s ID token with a wrong aud, iss or nonce, a bad signature, or expired; a correct one signs in', async () => {
    const reasons: Record<Exclude<RogueMode, 'good'>, RegExp> = {
      'wrong-aud': /&quot;aud&quot; claim/,
      'wrong-iss': /&quot;iss&quot; claim/,
      'wrong-nonce': /nonce is not the one this sign-in sent/,
      'bad-signature': /signature does not verify/,
      expired: /has expired/,
    };
    for (const [mode, reason] of Object.entries(reasons)) {
      const browser = new Browser();
      const { res } = await browser.navigate(`${gw}/auth/login/rogue-${mode}`);
      await expectErrorPage(res, 400, reason);
      expect(rogue.tokenRequests[mode]).toBe(1); // the code was exchanged: the ID token itself was refused
      expect(sessionOf(browser)).toBeUndefined();
    }
    const browser = new Browser();
    const { res } = await browser.navigate(`${gw}/auth/login/rogue-good?returnTo=/ok`, (u) => u.pathname === '/ok');
    expect(res.status).toBe(302);
    expect(((await (await me(browser)).json()) as { name: string; email: string })).toMatchObject({ name: 'Rogue User', email: 'rogue@example.com' });
  });

  it('never writes a session token, a code, a state or a provider secret to the logs', async () => {
    const browser = new Browser();
    const { callback, callbackUrl } = await signInWithDevIdp(browser, gw, 'kim');
    expect(callback.status).toBe(302);
    const token = sessionOf(browser)!;
    expect((await me(browser)).status).toBe(200);
    await waitFor(() => system.logTail(100_000).includes('"path":"/auth/callback/dev"'), { description: 'the callback\'s access log line' });
    const logs = system.logTail(100_000);
    expect(logs).toContain('sign-in refused'); // the refusals above were logged (with their reasons)
    const callbackParams = new URL(callbackUrl).searchParams;
    for (const secret of [token, hashSessionToken(token), callbackParams.get('code')!, callbackParams.get('state')!, rogue.clientSecret]) {
      expect(logs).not.toContain(secret);
    }
  });
});
