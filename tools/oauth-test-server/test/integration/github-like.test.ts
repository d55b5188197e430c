import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startGitHubLike, type GitHubLikeHandle, type GitHubLikeOptions } from '../../src/index.js';

const CALLBACK = 'http://127.0.0.1:9/auth/callback/github';
const APP = { clientId: 'Iv1.harnessapp', clientSecret: 'app-secret-1', callbackUrl: CALLBACK, name: 'Harness' };
const OTHER_APP = { clientId: 'Iv1.otherapp', clientSecret: 'other-secret', callbackUrl: 'http://127.0.0.1:9/other' };
const OCTO = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  email: null,
  emails: [
    { email: 'octocat@example.test', primary: true, verified: true, visibility: 'private' as const },
    { email: 'old@example.test', primary: false, verified: false },
  ],
};
const MONA = { id: 1001, login: 'mona', name: null, email: 'mona@example.test' };

const servers: GitHubLikeHandle[] = [];
async function start(opts: Partial<GitHubLikeOptions> = {}): Promise<GitHubLikeHandle> {
  const srv = await startGitHubLike({ users: [OCTO, MONA], clients: [APP, OTHER_APP], ...opts });
  servers.push(srv);
  return srv;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** GET /login/oauth/authorize as a browser; returns the redirect's URL (the test follows no further). */
async function authorize(srv: GitHubLikeHandle, params: Record<string, string>): Promise<URL> {
  const res = await fetch(`${srv.endpoints.authorization}?${new URLSearchParams(params)}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

async function codeFor(srv: GitHubLikeHandle, extra: Record<string, string> = {}): Promise<string> {
  const state = randomBytes(8).toString('hex');
  const to = await authorize(srv, { client_id: APP.clientId, redirect_uri: CALLBACK, scope: 'read:user user:email', state, ...extra });
  expect(to.origin + to.pathname).toBe(CALLBACK);
  expect(to.searchParams.get('state')).toBe(state);
  return to.searchParams.get('code')!;
}

function exchange(srv: GitHubLikeHandle, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(srv.endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
}

async function jsonToken(srv: GitHubLikeHandle, fields: Record<string, string>): Promise<Record<string, string>> {
  const res = await exchange(srv, fields, { accept: 'application/json' });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, string>;
}

async function tokenFor(srv: GitHubLikeHandle, extra: Record<string, string> = {}): Promise<string> {
  const code = await codeFor(srv, extra);
  const body = await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code, redirect_uri: CALLBACK });
  return body.access_token!;
}

const api = (url: string, token: string, scheme = 'Bearer'): Promise<Response> => fetch(url, { headers: { authorization: `${scheme} ${token}`, 'user-agent': 'harness-test' } });

test('the web flow: a code on the callback, a form-encoded token by default, the profile and the e-mails', async () => {
  const srv = await start();
  expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(srv.apiUrl).toBe(`${srv.url}/api`);
  const code = await codeFor(srv);
  expect(code).toMatch(/^[0-9a-f]{20}$/);

  const res = await exchange(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code, redirect_uri: CALLBACK });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-www-form-urlencoded; charset=utf-8');
  const answer = new URLSearchParams(await res.text());
  const token = answer.get('access_token')!;
  expect(token).toMatch(/^gho_[A-Za-z0-9]{36}$/);
  expect(answer.get('token_type')).toBe('bearer');
  expect(answer.get('scope')).toBe('read:user,user:email');

  const user = await api(srv.endpoints.user, token);
  expect(user.status).toBe(200);
  expect(user.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(user.headers.get('x-oauth-scopes')).toBe('read:user, user:email');
  const profile = (await user.json()) as Record<string, unknown>;
  expect(profile).toMatchObject({ id: 583231, login: 'octocat', name: 'The Octocat', email: null, type: 'User', html_url: `${srv.url}/octocat` });
  expect(typeof profile.id).toBe('number');
  expect(profile.avatar_url).toBe(`${srv.url}/avatars/u/583231?v=4`);

  const emails = await api(srv.endpoints.emails, token, 'token');
  expect(emails.status).toBe(200);
  expect(await emails.json()).toEqual([
    { email: 'octocat@example.test', primary: true, verified: true, visibility: 'private' },
    { email: 'old@example.test', primary: false, verified: false, visibility: null },
  ]);
  expect(srv.stats.tokenRequests).toEqual([{ clientId: APP.clientId, authMethod: 'post', format: 'form', outcome: 'ok' }]);
  expect(srv.stats.apiRequests.map((r) => [r.path, r.scheme, r.status])).toEqual([['/user', 'bearer', 200], ['/user/emails', 'token', 200]]);
});

test('JSON when Accept asks for it; a JSON body, HTTP Basic client auth and XML are accepted too', async () => {
  const srv = await start();
  const viaJsonBody = await fetch(srv.endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ client_id: APP.clientId, client_secret: APP.clientSecret, code: await codeFor(srv) }),
  });
  expect(viaJsonBody.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await viaJsonBody.json()).toEqual({ access_token: expect.stringMatching(/^gho_/), token_type: 'bearer', scope: 'read:user,user:email' });

  const basic = Buffer.from(`${APP.clientId}:${APP.clientSecret}`).toString('base64');
  const viaBasic = await exchange(srv, { code: await codeFor(srv) }, { authorization: `Basic ${basic}`, accept: 'application/json' });
  expect(((await viaBasic.json()) as Record<string, string>).access_token).toMatch(/^gho_/);

  const xml = await exchange(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: await codeFor(srv) }, { accept: 'application/xml' });
  expect(xml.headers.get('content-type')).toBe('application/xml; charset=utf-8');
  expect(await xml.text()).toMatch(/^<OAuth><access_token>gho_[A-Za-z0-9]{36}<\/access_token><token_type>bearer<\/token_type><scope>read:user,user:email<\/scope><\/OAuth>$/);
  expect(srv.stats.tokenRequests.map((r) => [r.authMethod, r.format])).toEqual([['post', 'json'], ['basic', 'json'], ['post', 'xml']]);
});

test('token errors answer 200 with GitHub error fields, in the negotiated format; codes are single use', async () => {
  const srv = await start();
  const code = await codeFor(srv);
  const wrongSecret = await exchange(srv, { client_id: APP.clientId, client_secret: 'nope', code });
  expect(wrongSecret.status).toBe(200);
  expect(Object.fromEntries(new URLSearchParams(await wrongSecret.text()))).toEqual({
    error: 'incorrect_client_credentials',
    error_description: 'The client_id and/or client_secret passed are incorrect.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials',
  });
  expect((await jsonToken(srv, { client_id: 'unknown', client_secret: APP.clientSecret, code })).error).toBe('incorrect_client_credentials');

  // Bad credentials do not spend the code; the first good exchange does.
  const ok = await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code });
  expect(ok.access_token).toMatch(/^gho_/);
  const replay = await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code });
  expect(replay).toEqual({
    error: 'bad_verification_code',
    error_description: 'The code passed is incorrect or expired.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
  });
  expect((await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: 'deadbeef' })).error).toBe('bad_verification_code');

  // A code belongs to the app it was issued to.
  const stolen = await codeFor(srv);
  expect((await jsonToken(srv, { client_id: OTHER_APP.clientId, client_secret: OTHER_APP.clientSecret, code: stolen })).error).toBe('bad_verification_code');
  expect((await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: stolen })).error).toBe('bad_verification_code');

  // redirect_uri at the token endpoint: the registered callback's rule, and the one the code was issued for.
  const elsewhere = await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: await codeFor(srv), redirect_uri: 'http://127.0.0.1:9/elsewhere' });
  expect(elsewhere).toMatchObject({ error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' });
  const sub = await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: await codeFor(srv), redirect_uri: `${CALLBACK}/sub` });
  expect(sub.error).toBe('redirect_uri_mismatch');

  expect((await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: await codeFor(srv), grant_type: 'refresh_token' })).error).toBe('unsupported_grant_type');
  expect(srv.stats.tokenRequests.map((r) => r.outcome)).toEqual([
    'incorrect_client_credentials', 'incorrect_client_credentials', 'ok', 'bad_verification_code', 'bad_verification_code',
    'bad_verification_code', 'bad_verification_code', 'redirect_uri_mismatch', 'redirect_uri_mismatch', 'unsupported_grant_type',
  ]);
  expect(srv.issuedTokens()).toHaveLength(1);
});

test('an expired code is refused (GitHub: 10 minutes; here set to none)', async () => {
  const srv = await start({ codeTtlMs: 0 });
  const body = await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: await codeFor(srv) });
  expect(body.error).toBe('bad_verification_code');
});

test('PKCE S256 when the client sends a challenge: the verifier must match; other methods are refused', async () => {
  const srv = await start();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };
  const creds = { client_id: APP.clientId, client_secret: APP.clientSecret };
  expect((await jsonToken(srv, { ...creds, code: await codeFor(srv, pkce), code_verifier: 'wrong' })).error).toBe('bad_verification_code');
  expect((await jsonToken(srv, { ...creds, code: await codeFor(srv, pkce) })).error).toBe('bad_verification_code');
  expect((await jsonToken(srv, { ...creds, code: await codeFor(srv, pkce), code_verifier: verifier })).access_token).toMatch(/^gho_/);

  const plain = await authorize(srv, { client_id: APP.clientId, redirect_uri: CALLBACK, state: 's1', code_challenge: verifier, code_challenge_method: 'plain' });
  expect(plain.origin + plain.pathname).toBe(CALLBACK);
  expect(plain.searchParams.get('error')).toBe('invalid_request');
  expect(plain.searchParams.get('state')).toBe('s1');
  expect(plain.searchParams.get('code')).toBeNull();
});

test('authorize: unknown app → 404 page; a redirect_uri off the callback → redirect_uri_mismatch to the callback; subpaths and loopback ports pass', async () => {
  const srv = await start();
  const unknown = await fetch(`${srv.endpoints.authorization}?client_id=nobody&state=x`, { redirect: 'manual' });
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toBe('text/html; charset=utf-8');

  const off = await authorize(srv, { client_id: APP.clientId, redirect_uri: 'http://127.0.0.1:9/evil', state: 'st' });
  expect(off.origin + off.pathname).toBe(CALLBACK);
  expect(Object.fromEntries(off.searchParams)).toEqual({
    error: 'redirect_uri_mismatch',
    error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch',
    state: 'st',
  });

  const below = await authorize(srv, { client_id: APP.clientId, redirect_uri: `${CALLBACK}/sub?x=1`, state: 'st' });
  expect(below.origin + below.pathname).toBe(`${CALLBACK}/sub`);
  expect(below.searchParams.get('x')).toBe('1');
  expect(below.searchParams.get('code')).toBeTruthy();
  const otherPort = await authorize(srv, { client_id: APP.clientId, redirect_uri: 'http://127.0.0.1:4444/auth/callback/github' });
  expect(otherPort.port).toBe('4444');
  expect(otherPort.searchParams.get('code')).toBeTruthy();

  const omitted = await authorize(srv, { client_id: APP.clientId });
  expect(omitted.origin + omitted.pathname).toBe(CALLBACK);
  expect(omitted.searchParams.get('state')).toBeNull();
  expect(srv.stats.authorizeRequests.map((r) => r.outcome)).toEqual(['not-found', 'error-redirect', 'code', 'code', 'code']);
});

test('who signs in: the login hint when it names a user, else the signed-in user (a knob); denial → access_denied', async () => {
  const srv = await start();
  const whoami = async (token: string) => ((await (await api(srv.endpoints.user, token)).json()) as { login: string }).login;
  expect(await whoami(await tokenFor(srv))).toBe('octocat');
  expect(await whoami(await tokenFor(srv, { login: 'mona' }))).toBe('mona');
  expect(await whoami(await tokenFor(srv, { login: 'ghost' }))).toBe('octocat');
  srv.knobs.signedInAs = 'mona';
  expect(await whoami(await tokenFor(srv))).toBe('mona');

  srv.knobs.denyAuthorization = true;
  const denied = await authorize(srv, { client_id: APP.clientId, redirect_uri: CALLBACK, state: 'd' });
  expect(Object.fromEntries(denied.searchParams)).toEqual({
    error: 'access_denied',
    error_description: 'The user has denied your application access.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
    state: 'd',
  });
});

test('/user/emails needs user:email or user (GitHub answers 404 without); a public profile e-mail defaults the list', async () => {
  const srv = await start();
  const noScope = await tokenFor(srv, { scope: 'read:user', login: 'mona' });
  const hidden = await api(srv.endpoints.emails, noScope);
  expect(hidden.status).toBe(404);
  expect(hidden.headers.get('x-accepted-oauth-scopes')).toBe('user, user:email');
  expect(hidden.headers.get('x-oauth-scopes')).toBe('read:user');
  expect(await hidden.json()).toEqual({
    message: 'Not Found',
    documentation_url: 'https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user',
    status: '404',
  });
  const profile = (await (await api(srv.endpoints.user, noScope)).json()) as Record<string, unknown>;
  expect(profile).toMatchObject({ login: 'mona', id: 1001, name: null, email: 'mona@example.test' });

  const userScope = await tokenFor(srv, { scope: 'user', login: 'mona' });
  const listed = await api(srv.endpoints.emails, userScope);
  expect(await listed.json()).toEqual([{ email: 'mona@example.test', primary: true, verified: true, visibility: 'public' }]);
});

test('the API: 401 "Requires authentication" / "Bad credentials", revoked tokens, 403 without a User-Agent, 404 elsewhere', async () => {
  const srv = await start({ apiPrefix: '' });
  expect(srv.apiUrl).toBe(srv.url);
  const token = await tokenFor(srv);
  expect((await api(`${srv.url}/user`, token)).status).toBe(200);

  const anonymous = await fetch(`${srv.url}/user`, { headers: { 'user-agent': 't' } });
  expect(anonymous.status).toBe(401);
  expect(await anonymous.json()).toEqual({
    message: 'Requires authentication',
    documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
    status: '401',
  });
  const bad = await api(`${srv.url}/user`, 'gho_notissued');
  expect(bad.status).toBe(401);
  expect(await bad.json()).toEqual({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  expect((await api(`${srv.url}/user`, token, 'Basic')).status).toBe(401);

  const noAgent = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${srv.url}/user`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
  expect(noAgent.status).toBe(403);
  expect(noAgent.body).toMatch(/^Request forbidden by administrative rules\. Please make sure your request has a User-Agent header/);

  expect((await api(`${srv.url}/users/octocat/repos`, token)).status).toBe(404);

  srv.revokeAllTokens();
  expect((await api(`${srv.url}/user`, token)).status).toBe(401);
  expect(srv.issuedTokens()[0]).toMatchObject({ token, login: 'octocat', clientId: APP.clientId, scopes: ['read:user', 'user:email'], revoked: true });
});

test("approval 'page': a consent page with Authorize and Cancel; each decision is used once", async () => {
  const srv = await start({ approval: 'page' });
  const open = async (state: string) => {
    const res = await fetch(`${srv.endpoints.authorization}?${new URLSearchParams({ client_id: APP.clientId, redirect_uri: CALLBACK, scope: 'user:email', state })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; form-action 'self' http://127.0.0.1:9; base-uri 'none'; frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('<button type="submit" name="decision" value="approve">Authorize Harness</button>');
    expect(html).toContain('Signed in as <strong>octocat</strong>');
    return /name="authorization_id" value="([0-9a-f]+)"/.exec(html)![1]!;
  };
  const decide = (id: string, decision: string) =>
    fetch(srv.endpoints.authorization, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ authorization_id: id, decision }) });

  const id = await open('a');
  const approved = await decide(id, 'approve');
  expect(approved.status).toBe(302);
  const to = new URL(approved.headers.get('location')!);
  expect(to.searchParams.get('state')).toBe('a');
  expect((await jsonToken(srv, { client_id: APP.clientId, client_secret: APP.clientSecret, code: to.searchParams.get('code')! })).scope).toBe('user:email');
  expect((await decide(id, 'approve')).status).toBe(404);

  const cancelled = await decide(await open('b'), 'deny');
  expect(new URL(cancelled.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
});

test('bad options are refused at start', async () => {
  await expect(startGitHubLike({ users: [], clients: [APP] })).rejects.toThrow(/at least one user/);
  await expect(startGitHubLike({ users: [{ id: 1.5, login: 'x' }], clients: [APP] })).rejects.toThrow(/positive integer id/);
  await expect(startGitHubLike({ users: [OCTO], clients: [APP], apiPrefix: 'api/' })).rejects.toThrow(/apiPrefix/);
});
