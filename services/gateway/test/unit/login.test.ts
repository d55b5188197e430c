import { appOrigins, csrfAllowed } from '../../src/auth/csrf.js';
import { GitHubEmails, GitHubUser, mapGitHubProfile } from '../../src/login/github-profile.js';
import { profileOfClaims } from '../../src/login/id-token.js';
import { idTokenAlgorithms, type OidcMetadata } from '../../src/login/oidc-discovery.js';
import { safeReturnTo } from '../../src/login/return-to.js';
import { clearedSessionCookie, sessionCookie } from '../../src/login/session-cookie.js';
import { tokenRequest } from '../../src/login/token-exchange.js';

describe('safeReturnTo', () => {
  it('keeps a path of this origin, with its query and fragment', () => {
    expect(safeReturnTo('/')).toBe('/');
    expect(safeReturnTo('/conversations/42?tab=a#m1')).toBe('/conversations/42?tab=a#m1');
    expect(safeReturnTo('/a/../b')).toBe('/b');
  });

  it('refuses anything that could leave the origin, and odd input, with /', () => {
    for (const bad of [
      undefined, '', 'https://evil.example/', 'http:/evil.example', '//evil.example/x', '/\\evil.example', '\\\\evil.example', 'evil.example',
      'javascript:alert(1)', '/\tevil', '/ x', '/\nx', ' /x', `/${'a'.repeat(2_000)}`, ['/a'], 42,
    ]) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});

describe('csrfAllowed', () => {
  const origins = appOrigins('http://localhost:5173/', 'https://harness.example.com/base');
  const req = (method: string, headers: Record<string, string> = {}) => ({ method, headers });

  it('lets safe methods through from anywhere', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'get']) expect(csrfAllowed(req(m, { origin: 'https://evil.example' }), origins)).toBe(true);
  });

  it('needs one of the app\'s origins AND X-Harness-Client: web for anything else', () => {
    const web = { 'x-harness-client': 'web' };
    expect(csrfAllowed(req('POST', { origin: 'http://localhost:5173', ...web }), origins)).toBe(true);
    expect(csrfAllowed(req('DELETE', { origin: 'https://harness.example.com', ...web }), origins)).toBe(true);
    expect(csrfAllowed(req('POST', web), origins)).toBe(false); // no Origin
    expect(csrfAllowed(req('POST', { origin: 'https://evil.example', ...web }), origins)).toBe(false);
    expect(csrfAllowed(req('POST', { origin: 'null', ...web }), origins)).toBe(false);
    expect(csrfAllowed(req('POST', { origin: 'http://localhost:5174', ...web }), origins)).toBe(false); // another port
    expect(csrfAllowed(req('PUT', { origin: 'http://localhost:5173' }), origins)).toBe(false); // no header
    expect(csrfAllowed(req('PATCH', { origin: 'http://localhost:5173', 'x-harness-client': 'other' }), origins)).toBe(false);
    expect(csrfAllowed(req('POST', {}), origins)).toBe(false);
  });

  it('takes Origin alone only when asked (the board\'s own script cannot send the header)', () => {
    expect(csrfAllowed(req('PUT', { origin: 'https://harness.example.com' }), origins, false)).toBe(true);
    expect(csrfAllowed(req('PUT', { origin: 'https://evil.example' }), origins, false)).toBe(false);
    expect(csrfAllowed(req('PUT', {}), origins, false)).toBe(false);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, lives until the absolute expiry, and is Secure on https', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(sessionCookie('tok', new Date(now + 3_600_000), false, now)).toBe('harness_session=tok; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax');
    expect(sessionCookie('tok', new Date(now + 1_000), true, now)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toBe('harness_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
  });
});

describe('GitHub profile mapping', () => {
  const user = GitHubUser.parse({ id: 583231, login: 'octocat', name: 'The Octocat', avatar_url: 'https://avatars.githubusercontent.com/u/583231?v=4', extra: 'ignored' });

  it('maps the numeric id to the subject, the name (or login), the primary verified e-mail and the avatar', () => {
    const emails = GitHubEmails.parse([
      { email: 'old@example.com', primary: false, verified: true, visibility: null },
      { email: 'octo@example.com', primary: true, verified: true, visibility: 'public' },
    ]);
    expect(mapGitHubProfile(user, emails)).toEqual({
      subject: '583231',
      profile: { name: 'The Octocat', email: 'octo@example.com', emailVerified: true, avatarUrl: 'https://avatars.githubusercontent.com/u/583231?v=4' },
    });
    expect(mapGitHubProfile({ ...user, name: null }, []).profile.name).toBe('octocat');
    expect(mapGitHubProfile({ ...user, name: '  ' }, []).profile.name).toBe('octocat');
  });

  it('never passes an unverified address on; a verified non-primary one only when the primary is not verified', () => {
    expect(mapGitHubProfile(user, [{ email: 'a@example.com', primary: true, verified: false }]).profile).toMatchObject({ email: null, emailVerified: false });
    expect(mapGitHubProfile(user, [{ email: 'a@example.com', primary: true, verified: false }, { email: 'b@example.com', primary: false, verified: true }]).profile.email)
      .toBe('b@example.com');
    expect(mapGitHubProfile({ ...user, avatar_url: 'javascript:alert(1)' }, []).profile.avatarUrl).toBeNull();
  });

  it('refuses answers that are not GitHub\'s shape', () => {
    expect(GitHubUser.safeParse({ id: '583231', login: 'x' }).success).toBe(false);
    expect(GitHubUser.safeParse({ id: -1, login: 'x' }).success).toBe(false);
    expect(GitHubEmails.safeParse({ email: 'x' }).success).toBe(false);
  });
});

describe('OIDC', () => {
  it('maps standard claims, bounded; e-mail verified only when the provider says so', () => {
    expect(profileOfClaims({ sub: 's', name: 'Ann', email: 'ann@example.com', email_verified: true, picture: 'https://img.example/a.png' }))
      .toEqual({ name: 'Ann', email: 'ann@example.com', emailVerified: true, avatarUrl: 'https://img.example/a.png' });
    expect(profileOfClaims({ sub: 's', preferred_username: 'ann', email: 'ann@example.com', email_verified: 'true' }))
      .toEqual({ name: 'ann', email: 'ann@example.com', emailVerified: false, avatarUrl: null });
    expect(profileOfClaims({ sub: 's', name: 'x'.repeat(500) }).name).toHaveLength(200);
  });

  it('accepts only asymmetric ID token algorithms the provider lists (RS256 when it lists none)', () => {
    const meta = (algs?: string[]) => ({ id_token_signing_alg_values_supported: algs }) as OidcMetadata;
    expect(idTokenAlgorithms(meta())).toEqual(['RS256']);
    expect(idTokenAlgorithms(meta(['none', 'HS256', 'RS256', 'ES256']))).toEqual(['RS256', 'ES256']);
    expect(() => idTokenAlgorithms(meta(['none', 'HS256']))).toThrow(/no asymmetric/);
  });

  it('puts the client secret in exactly one place for each token endpoint auth method', () => {
    const params = { grant_type: 'authorization_code', code: 'c', code_verifier: 'v' };
    const basic = tokenRequest({ clientId: 'a b', clientSecret: 's:1', auth: 'client_secret_basic' }, params);
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('a%20b:s%3A1').toString('base64')}`);
    expect(basic.body.has('client_secret')).toBe(false);
    expect(basic.body.has('client_id')).toBe(false);
    const post = tokenRequest({ clientId: 'a', clientSecret: 's', auth: 'client_secret_post' }, params);
    expect(post.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(post.body)).toEqual({ ...params, client_id: 'a', client_secret: 's' });
    const none = tokenRequest({ clientId: 'a', clientSecret: undefined, auth: 'none' }, params);
    expect(Object.fromEntries(none.body)).toEqual({ ...params, client_id: 'a' });
  });
});
