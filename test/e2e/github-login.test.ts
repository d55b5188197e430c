// Signing in with GitHub (a classic OAuth app) against the GitHub-shaped server of tools/oauth-test-server, configured
// as a login provider next to the dev IdP: over HTTP with the cookie-jar browser, and once in Chromium through the
// consent page.
import { randomBytes } from 'node:crypto';
import {
  expectNoAxeViolations, launchBrowser, startSystem, takeScreenshot, withScreenshotOnFailure, type System,
} from '@harness/testing';
import { startGitHubLike, type GitHubLikeHandle } from '../../tools/oauth-test-server/src/index.js';
import { Browser, signInWithDevIdp } from './support/sign-in.js';

interface Me {
  id: string;
  name: string;
  email?: string;
  emailVerified?: boolean;
  avatarUrl?: string;
  admin: boolean;
}

const CLIENT_ID = 'Iv1.harness-e2e';
const CLIENT_SECRET = randomBytes(20).toString('hex');

describe('GitHub sign-in', () => {
  let gh: GitHubLikeHandle;
  let system: System;
  let gw: string;

  beforeAll(async () => {
    gh = await startGitHubLike({
      users: [
        {
          id: 583231, login: 'octocat', name: 'The Octocat', avatarUrl: 'https://avatars.example.test/u/583231?v=4',
          emails: [
            { email: 'octo-old@example.test', primary: false, verified: true, visibility: null },
            { email: 'octocat@example.test', primary: true, verified: true, visibility: 'private' },
            { email: 'octo-unconfirmed@example.test', primary: false, verified: false, visibility: null },
          ],
        },
        // Names an admin's address, but has not verified it: neither the e-mail nor the admin right.
        { id: 1001, login: 'shadow', name: null, emails: [{ email: 'boss@example.test', primary: true, verified: false, visibility: 'private' }] },
        { id: 1002, login: 'boss', name: 'The Boss', emails: [{ email: 'boss@example.test', primary: true, verified: true, visibility: 'private' }] },
        // The dev IdP's address for its user "alice": the same e-mail at two providers, two people to Harness.
        { id: 1003, login: 'alice-gh', name: 'Alice on GitHub', emails: [{ email: 'alice@dev.local', primary: true, verified: true, visibility: 'public' }] },
      ],
      // GitHub accepts a redirect_uri below the registered callback path, on any port of 127.0.0.1.
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, callbackUrl: 'http://127.0.0.1/auth/callback', name: 'Harness' }],
      signedInAs: 'octocat',
    });
    const github = { type: 'github', clientId: CLIENT_ID, authorizationUrl: gh.endpoints.authorization, tokenUrl: gh.endpoints.token, apiUrl: gh.apiUrl };
    system = await startSystem({
      label: 'github-login',
      env: { HARNESS_ADMIN_USERS: 'boss@example.test', LOG_LEVEL: 'info' },
      loginProviders: [
        { id: 'github', name: 'GitHub', clientSecret: CLIENT_SECRET, ...github },
        { id: 'github-misconfigured', name: 'GitHub (wrong secret)', clientSecret: 'not-the-secret', ...github },
      ],
    });
    gw = system.gatewayUrl;
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await gh?.close();
  });

  const me = async (browser: Browser): Promise<Me> => {
    const res = await browser.request(`${gw}/v1/me`);
    expect(res.status).toBe(200);
    return (await res.json()) as Me;
  };

  /** Signs the GitHub user `login` in (GitHub approves at once: the app was authorized before). */
  const signInAs = async (login: string, browser = new Browser()): Promise<Browser> => {
    gh.knobs.signedInAs = login;
    const { res, url } = await browser.navigate(`${gw}/auth/login/github?returnTo=/after`, (u) => u.pathname === '/after');
    expect({ status: res.status, url }).toEqual({ status: 302, url: `${gw}/after` });
    expect(browser.cookie(gw, 'harness_session')).toBeDefined();
    return browser;
  };

  const expectErrorPage = async (res: Response, status: number, message: RegExp): Promise<string> => {
    const html = await res.text();
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: 'text/html; charset=utf-8' });
    expect(html).toMatch(message);
    expect(html).not.toMatch(/\bat \S+ \(|Error:|node_modules/); // never a stack trace
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/harness_session=[^;]/);
    return html;
  };

  it('signs in: /v1/me has the GitHub name, the primary verified e-mail and the avatar; the same account again, the same user', async () => {
    const first = await me(await signInAs('octocat'));
    expect(first).toEqual({
      id: expect.any(String), name: 'The Octocat', email: 'octocat@example.test', emailVerified: true,
      avatarUrl: 'https://avatars.example.test/u/583231?v=4', admin: false,
    });
    // GitHub was asked with PKCE and the scopes for the profile and the addresses.
    expect(gh.stats.authorizeRequests.at(-1)).toMatchObject({ clientId: CLIENT_ID, scope: 'read:user user:email', outcome: 'code' });
    expect(gh.stats.tokenRequests.at(-1)).toMatchObject({ clientId: CLIENT_ID, outcome: 'ok' });
    const again = await me(await signInAs('octocat'));
    expect(again.id).toBe(first.id);
    const other = await me(await signInAs('boss'));
    expect(other.id).not.toBe(first.id);
  });

  it('an account whose only address is unverified has no e-mail, and is no admin though HARNESS_ADMIN_USERS names that address', async () => {
    const browser = await signInAs('shadow');
    const shadow = await me(browser);
    expect(shadow).toEqual({ id: expect.any(String), name: 'shadow', avatarUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/avatars\/u\/1001/), admin: false });
    expect((await browser.request(`${gw}/admin/queues`)).status).toBe(403);
  });

  it('a verified address named in HARNESS_ADMIN_USERS makes an admin, who opens /admin/queues with the cookie', async () => {
    const browser = await signInAs('boss');
    expect(await me(browser)).toMatchObject({ name: 'The Boss', email: 'boss@example.test', emailVerified: true, admin: true });
    const board = await browser.request(`${gw}/admin/queues`);
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('Harness queues');
    expect((await browser.request(`${gw}/admin/queues/api/queues`)).status).toBe(200);
  });

  it('the same e-mail at the dev IdP and at GitHub gives two users (identities are never linked by e-mail)', async () => {
    const dev = new Browser();
    expect((await signInWithDevIdp(dev, gw, 'alice')).callback.status).toBe(302);
    const fromDev = await me(dev);
    const fromGitHub = await me(await signInAs('alice-gh'));
    expect(fromDev.email).toBe('alice@dev.local');
    expect(fromGitHub.email).toBe('alice@dev.local');
    expect(fromGitHub.id).not.toBe(fromDev.id);
    expect(fromGitHub.name).toBe('Alice on GitHub');
  });

  it('a replayed callback (state) and a replayed code are refused with the error page', async () => {
    gh.knobs.signedInAs = 'octocat';
    const browser = new Browser();
    const isCallback = (u: URL) => u.pathname === '/auth/callback/github';
    const started = await browser.navigate(`${gw}/auth/login/github`, isCallback);
    expect(isCallback(new URL(started.url))).toBe(true);
    expect((await browser.request(started.url)).status).toBe(302);
    await expectErrorPage(await browser.request(started.url), 400, /expired or was already used/);

    // A fresh sign-in in the same browser (a new state), with the spent code.
    const fresh = new URL((await browser.navigate(`${gw}/auth/login/github`, isCallback)).url);
    const oldCode = new URL(started.url).searchParams.get('code')!;
    expect(fresh.searchParams.get('code')).not.toBe(oldCode);
    fresh.searchParams.set('code', oldCode);
    await expectErrorPage(await browser.request(fresh.href), 400, /GitHub refused the authorization code \(bad_verification_code\)/);
  });

  it('a wrong client secret at GitHub shows a clear page that names the configuration, escaped, and signs nobody in', async () => {
    gh.knobs.signedInAs = 'octocat';
    const browser = new Browser();
    const { res } = await browser.navigate(`${gw}/auth/login/github-misconfigured`);
    const html = await expectErrorPage(res, 502, /GitHub \(wrong secret\) refused Harness&#39;s client credentials \(incorrect_client_credentials\)/);
    expect(html).not.toContain('not-the-secret');
    expect(html).not.toContain(CLIENT_SECRET);
    expect(browser.cookie(gw, 'harness_session')).toBeUndefined();
    expect(gh.stats.tokenRequests.at(-1)).toMatchObject({ clientId: CLIENT_ID, outcome: 'incorrect_client_credentials' });
  });

  it('in Chromium: the consent page (axe-clean), "Authorize Harness", and the session works from the page', async () => {
    const launched = await launchBrowser();
    gh.knobs.approval = 'page';
    gh.knobs.signedInAs = 'octocat';
    try {
      const { page, context } = launched;
      await withScreenshotOnFailure(page, 'github-login-consent', async () => {
        await page.goto(`${gw}/auth/login/github?returnTo=/from-github`);
        await page.waitForURL((u) => u.origin === gh.url && u.pathname === '/login/oauth/authorize');
        await expectNoAxeViolations(page);
        await takeScreenshot(page, 'github-like-consent-from-gateway');
        await page.getByRole('button', { name: 'Authorize Harness' }).click();
        await page.waitForURL((u) => u.origin === new URL(gw).origin && u.pathname === '/from-github');
        const cookie = (await context.cookies(gw)).find((c) => c.name === 'harness_session');
        expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
        const answer = await page.evaluate(async () => {
          const res = await fetch('/v1/me');
          return { status: res.status, body: (await res.json()) as unknown };
        });
        expect(answer).toMatchObject({ status: 200, body: { name: 'The Octocat', email: 'octocat@example.test', emailVerified: true } });

        // The misconfigured provider's error page, as a person sees it.
        await page.goto(`${gw}/auth/login/github-misconfigured`);
        await page.getByRole('button', { name: 'Authorize Harness' }).click();
        await page.waitForURL((u) => u.origin === new URL(gw).origin && u.pathname === '/auth/callback/github-misconfigured');
        await expect(page.getByRole('heading', { level: 1, name: 'Sign-in failed' }).count()).resolves.toBe(1);
        await expect(page.getByRole('alert').textContent()).resolves.toBe(
          'GitHub (wrong secret) refused Harness\'s client credentials (incorrect_client_credentials): the sign-in is not set up correctly. Tell the operator.',
        );
        await expectNoAxeViolations(page);
        await takeScreenshot(page, 'github-login-misconfigured-error-page');
      });
    } finally {
      gh.knobs.approval = 'auto';
      await launched.close();
    }
  }, 60_000);
});
