import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startDevIdp, subjectFor, type DevIdpHandle } from '../../src/index.js';

const REDIRECT = 'http://127.0.0.1:9/auth/callback/dev';
const CLIENT = { clientId: 'harness-test', clientSecret: 'test-secret', redirectUris: [REDIRECT] };
const BASIC_CLIENT = { clientId: 'basic-client', clientSecret: 'basic-secret', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_basic' as const };

let idp: DevIdpHandle;
let discovery: Record<string, unknown>;

beforeAll(async () => {
  idp = await startDevIdp({ port: 0, clients: [CLIENT, BASIC_CLIENT] });
  discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
});
afterAll(async () => {
  await idp.close();
});

/** A browser's cookie jar, enough for one origin: name → value, sent where the cookie's path matches. */
class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const path = new URL(url).pathname;
    const cookie = [...this.cookies].filter(([, c]) => path.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const expired = attrs.some((a) => /^expires=thu, 01 jan 1970/i.test(a.trim())) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: pathAttr ? pathAttr.slice(5) : '/' });
    }
    return res;
  }

  /** Follows redirects within the IdP; stops at the first answer that is not a redirect, or at the client's redirect_uri. */
  async follow(first: Response, from: string): Promise<{ res: Response; url: string }> {
    let res = first;
    let url = from;
    while (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url).toString();
      if (url.startsWith(REDIRECT)) return { res, url };
      res = await this.request(url);
    }
    return { res, url };
  }
}

interface AuthRequest {
  state: string;
  nonce: string;
  verifier: string;
  url: string;
}

function authRequest(clientId = CLIENT.clientId, pkce = true): AuthRequest {
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile email', state, nonce });
  if (pkce) {
    params.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
    params.set('code_challenge_method', 'S256');
  }
  return { state, nonce, verifier, url: `${discovery.authorization_endpoint as string}?${params}` };
}

/** GET /auth → the sign-in page, as a browser lands on it. */
async function openSignInPage(browser: Browser, req: AuthRequest): Promise<{ html: string; action: string; res: Response }> {
  const { res, url } = await browser.follow(await browser.request(req.url), req.url);
  expect(res.status).toBe(200);
  const html = await res.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  expect(action).toBeDefined();
  return { html, res, action: new URL(action!.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))), url).toString() };
}

async function submitUsername(browser: Browser, action: string, username: string): Promise<Response> {
  return browser.request(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username }).toString(),
  });
}

/** The whole front channel: returns the code the client's redirect_uri receives. */
async function signIn(username: string, req = authRequest()): Promise<{ code: string; req: AuthRequest }> {
  const browser = new Browser();
  const { action } = await openSignInPage(browser, req);
  const { res, url } = await browser.follow(await submitUsername(browser, action, username), action);
  expect(res.status).toBe(303);
  const callback = new URL(url);
  expect(callback.searchParams.get('error')).toBeNull();
  expect(callback.searchParams.get('state')).toBe(req.state);
  expect(callback.searchParams.get('iss')).toBe(idp.issuer);
  return { code: callback.searchParams.get('code')!, req };
}

async function exchange(code: string, verifier: string, client: { clientId: string; clientSecret: string; tokenEndpointAuthMethod?: string } = CLIENT): Promise<Response> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.tokenEndpointAuthMethod === 'client_secret_basic') {
    headers.authorization = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  } else {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  }
  return fetch(discovery.token_endpoint as string, { method: 'POST', headers, body: body.toString() });
}

async function verifiedIdToken(idToken: string, nonce: string, audience = CLIENT.clientId): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri as string));
  const { payload, protectedHeader } = await jwtVerify(idToken, jwks, { issuer: idp.issuer, audience, algorithms: ['RS256'] });
  expect(protectedHeader.alg).toBe('RS256');
  expect(payload.nonce).toBe(nonce);
  expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
  return payload;
}

async function signInAndVerify(username: string): Promise<JWTPayload> {
  const { code, req } = await signIn(username);
  const res = await exchange(code, req.verifier);
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as { id_token: string; access_token: string; refresh_token?: string };
  expect(tokens.refresh_token).toBeUndefined();
  return verifiedIdToken(tokens.id_token, req.nonce);
}

test('serves the discovery document: code flow, S256 only, the three scopes, RS256 ID tokens', async () => {
  expect(discovery.issuer).toBe(idp.issuer);
  expect(idp.issuer).toBe(idp.url);
  expect(discovery.response_types_supported).toEqual(['code']);
  expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
  expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
  expect(discovery.id_token_signing_alg_values_supported).toContain('RS256');
  expect(discovery.jwks_uri).toEqual(expect.stringContaining(idp.issuer));
  const jwks = (await (await fetch(discovery.jwks_uri as string)).json()) as { keys: Array<Record<string, unknown>> };
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
  expect(jwks.keys[0].d).toBeUndefined();
});

test('the sign-in page: labelled Username textbox, Sign in button, development-only notice, strict CSP', async () => {
  const { html, res } = await openSignInPage(new Browser(), authRequest());
  expect(html).toMatch(/<label for="username">Username<\/label>/);
  expect(html).toMatch(/<input id="username" name="username" type="text"/);
  expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
  expect(html).toContain('Development only — no password.');
  expect(html).not.toMatch(/<script/i);
  const csp = res.headers.get('content-security-policy')!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self' http://127.0.0.1:9");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('cache-control')).toBe('no-store');
});

test('the full code flow gives a verified ID token with the profile and e-mail claims; the sub is stable per username', async () => {
  const alice = await signInAndVerify('alice');
  expect(alice).toMatchObject({ aud: CLIENT.clientId, name: 'alice', preferred_username: 'alice', email: 'alice@dev.local', email_verified: true });
  expect(typeof alice.sub).toBe('string');
  expect(alice.sub).not.toContain('alice');
  const aliceAgain = await signInAndVerify('alice');
  expect(aliceAgain.sub).toBe(alice.sub);
  const bob = await signInAndVerify('bob.b_2-x');
  expect(bob.sub).not.toBe(alice.sub);
  expect(bob.email).toBe('bob.b_2-x@dev.local');
});

test('a client registered for client_secret_basic signs in the same way', async () => {
  const { code, req } = await signIn('carol', authRequest(BASIC_CLIENT.clientId));
  const res = await exchange(code, req.verifier, BASIC_CLIENT);
  expect(res.status).toBe(200);
  const { id_token: idToken } = (await res.json()) as { id_token: string };
  expect((await verifiedIdToken(idToken, req.nonce, BASIC_CLIENT.clientId)).preferred_username).toBe('carol');
});

test('an authorization request without PKCE is refused before any sign-in page', async () => {
  const req = authRequest(CLIENT.clientId, false);
  const res = await new Browser().request(req.url);
  expect(res.status).toBe(303);
  const back = new URL(res.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(REDIRECT);
  expect(back.searchParams.get('error')).toBe('invalid_request');
  expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  expect(back.searchParams.get('state')).toBe(req.state);

  const plain = new URL(authRequest().url);
  plain.searchParams.set('code_challenge', 'a'.repeat(43));
  plain.searchParams.set('code_challenge_method', 'plain');
  const refused = new URL((await new Browser().request(plain.toString())).headers.get('location')!);
  expect(refused.origin + refused.pathname).toBe(REDIRECT);
  expect(refused.searchParams.get('error')).toBe('invalid_request');
});

test('an unknown client or an unregistered redirect_uri gets an escaped error page, never a redirect', async () => {
  for (const [name, value] of [['client_id', '<evil>'], ['redirect_uri', 'http://127.0.0.1:9/elsewhere']]) {
    const url = new URL(authRequest().url);
    url.searchParams.set(name, value);
    const res = await new Browser().request(url.toString());
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('Sign-in failed');
    expect(html).not.toContain('<evil>');
  }
});

test('a bad username gets the page again with an error, escaped; a good one then signs in', async () => {
  const browser = new Browser();
  const req = authRequest();
  const { action } = await openSignInPage(browser, req);
  for (const bad of ['', 'a'.repeat(65), 'al ice', '<script>x</script>', 'élodie']) {
    const res = await submitUsername(browser, action, bad);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('Enter a username of 1 to 64 letters, digits, dots, underscores or hyphens.');
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).not.toContain('<script>');
  }
  const { res, url } = await browser.follow(await submitUsername(browser, action, 'dave'), action);
  expect(res.status).toBe(303);
  expect(new URL(url).searchParams.get('state')).toBe(req.state);
});

test('the form of a sign-in is refused without its interaction cookie (another browser)', async () => {
  const { action } = await openSignInPage(new Browser(), authRequest());
  const res = await submitUsername(new Browser(), action, 'mallory');
  expect(res.status).toBe(400);
  expect(await res.text()).toContain('Sign-in expired');
});

test('a replayed code, or a code with the wrong PKCE verifier, is refused', async () => {
  const { code } = await signIn('erin');
  const wrong = await exchange(code, randomBytes(32).toString('base64url'));
  expect(wrong.status).toBe(400);
  expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');

  const again = await signIn('erin');
  expect((await exchange(again.code, again.req.verifier)).status).toBe(200);
  const replay = await exchange(again.code, again.req.verifier);
  expect(replay.status).toBe(400);
  expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
});

test('an oversized form is 413', async () => {
  const browser = new Browser();
  const { action } = await openSignInPage(browser, authRequest());
  const res = await submitUsername(browser, action, 'x'.repeat(5000));
  expect(res.status).toBe(413);
});

test('the same browser signs in again without the page while its IdP session lives; prompt=login shows the page', async () => {
  const browser = new Browser();
  const first = authRequest();
  const { action } = await openSignInPage(browser, first);
  await browser.follow(await submitUsername(browser, action, 'frank'), action);

  const second = authRequest();
  const { url } = await browser.follow(await browser.request(second.url), second.url);
  const back = new URL(url);
  expect(back.origin + back.pathname).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe(second.state);
  const res = await exchange(back.searchParams.get('code')!, second.verifier);
  const { id_token: idToken } = (await res.json()) as { id_token: string };
  expect((await verifiedIdToken(idToken, second.nonce)).sub).toBe(subjectFor('frank'));

  const forced = authRequest();
  const { html } = await openSignInPage(browser, { ...forced, url: `${forced.url}&prompt=login` });
  expect(html).toContain('<button type="submit">Sign in</button>');
});
