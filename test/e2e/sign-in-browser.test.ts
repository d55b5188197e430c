// Signing in to the real system in Chromium (Debian's, through playwright-core): the gateway's redirect to the dev
// IdP, its page filled in and posted by role and accessible name, the redirect back, and then the session cookie used
// from the page itself (fetch, same origin) on /v1/me, CSRF, sign-out and expiry.
import { hashSessionToken } from '@harness/contracts';
import {
  expectNoAxeViolations, launchBrowser, startSystem, takeScreenshot, waitFor, withScreenshotOnFailure, type LaunchedBrowser, type System,
} from '@harness/testing';
import type { BrowserContext, Cookie, Page } from 'playwright-core';

interface Me {
  id: string;
  name: string;
  email?: string;
  admin: boolean;
}

/** What a fetch from the page answered. */
interface PageAnswer {
  status: number;
  body: unknown;
}

describe('sign-in in a real browser', () => {
  let system: System;
  let launched: LaunchedBrowser;
  let gw: string;
  let idpOrigin: string;

  beforeAll(async () => {
    system = await startSystem({ label: 'sign-in-browser' });
    gw = system.gatewayUrl;
    idpOrigin = new URL(system.devIdp!.url).origin;
    launched = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await launched?.close();
    await system?.stop();
  });

  /** A same-origin fetch from the page (cookies included, as a web app's would be). */
  const pageFetch = (page: Page, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<PageAnswer> =>
    page.evaluate(async ({ path, init }) => {
      const res = await fetch(path, { ...init, credentials: 'same-origin' });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (e.g. an empty 204)
      }
      return { status: res.status, body };
    }, { path, init });

  const sessionCookie = async (context: BrowserContext): Promise<Cookie | undefined> =>
    (await context.cookies(gw)).find((c) => c.name === 'harness_session');

  /** Opens /auth/login/dev in `page`, signs `username` in on the dev IdP's page, and waits for returnTo. */
  const signIn = async (page: Page, username: string, returnTo = '/some/path', screenshot?: string): Promise<void> => {
    await page.goto(`${gw}/auth/login/dev?returnTo=${encodeURIComponent(returnTo)}`);
    await page.waitForURL((u) => u.origin === idpOrigin && u.pathname.startsWith('/interaction/'));
    const usernameBox = page.getByRole('textbox', { name: 'Username' });
    const button = page.getByRole('button', { name: 'Sign in' });
    await expect(usernameBox.count()).resolves.toBe(1);
    await expect(button.count()).resolves.toBe(1);
    if (screenshot) {
      await expectNoAxeViolations(page);
      await takeScreenshot(page, screenshot);
    }
    await usernameBox.fill(username);
    await button.click();
    const landing = new URL(returnTo, gw);
    await page.waitForURL((u) => u.origin === landing.origin && u.pathname === landing.pathname && u.search === landing.search);
  };

  /** A fresh browser context (no cookies at the gateway, no session at the IdP): another browser, as far as both know. */
  const withContext = async <T>(name: string, fn: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> => {
    const context = await launched.browser.newContext();
    const page = await context.newPage();
    try {
      return await withScreenshotOnFailure(page, name, () => fn(page, context));
    } finally {
      await context.close();
    }
  };

  it('signs in on the dev IdP page, lands on returnTo with the session cookie, and /v1/me answers from the page', async () => {
    await withContext('browser-sign-in', async (page, context) => {
      await signIn(page, 'alice', '/some/path?tab=1', 'dev-idp-page-from-gateway');
      expect(page.url()).toBe(`${gw}/some/path?tab=1`);
      const cookie = await sessionCookie(context);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false, domain: '127.0.0.1' });
      expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 3_600);
      // HttpOnly: the page's script cannot read it.
      await expect(page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).resolves.not.toContain('harness_session');

      const me = await pageFetch(page, '/v1/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ name: 'alice', email: 'alice@dev.local', admin: false });
    });
  }, 60_000);

  it('the same username signs in again in another browser and gets the same user id; another username another id', async () => {
    const idOf = (username: string) =>
      withContext(`browser-sign-in-${username}`, async (page) => {
        await signIn(page, username);
        const me = await pageFetch(page, '/v1/me');
        expect(me.status).toBe(200);
        return (me.body as Me).id;
      });
    const first = await idOf('bob');
    expect(first).toBeTruthy();
    expect(await idOf('bob')).toBe(first);
    expect(await idOf('carol')).not.toBe(first);
  }, 90_000);

  it('signs in again after signing out in the same browser (the IdP remembers the person): the same user id', async () => {
    await withContext('browser-sign-in-again', async (page, context) => {
      await signIn(page, 'dave');
      const before = (await pageFetch(page, '/v1/me')).body as Me;
      expect((await pageFetch(page, '/auth/logout', { method: 'POST', headers: { 'X-Harness-Client': 'web' } })).status).toBe(204);
      expect(await sessionCookie(context)).toBeUndefined();
      // The IdP's own session signs the browser in without its page this time.
      await page.goto(`${gw}/auth/login/dev?returnTo=/again`);
      await page.waitForURL((u) => u.origin === new URL(gw).origin && u.pathname === '/again');
      const after = await pageFetch(page, '/v1/me');
      expect(after.status).toBe(200);
      expect((after.body as Me).id).toBe(before.id);
    });
  }, 60_000);

  it('CSRF: a state-changing cookie request from the page without X-Harness-Client is refused; with it, it succeeds', async () => {
    await withContext('browser-csrf', async (page) => {
      await signIn(page, 'erin');
      const body = JSON.stringify({ name: 'h', model: 'sim/echo' });
      const refused = await pageFetch(page, '/v1/harnesses', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'csrf_failed' } } });
      const forgedLogout = await pageFetch(page, '/auth/logout', { method: 'POST' });
      expect(forgedLogout).toMatchObject({ status: 403, body: { error: { code: 'csrf_failed' } } });
      expect((await pageFetch(page, '/v1/me')).status).toBe(200);
      const created = await pageFetch(page, '/v1/harnesses', { method: 'POST', headers: { 'content-type': 'application/json', 'X-Harness-Client': 'web' }, body });
      expect(created.status).toBe(201);
    });
  }, 60_000);

  it('signs out from the page: 204, the cookie gone, /v1/me 401 after (also with the old cookie put back)', async () => {
    await withContext('browser-sign-out', async (page, context) => {
      await signIn(page, 'frank');
      const cookie = (await sessionCookie(context))!;
      expect((await pageFetch(page, '/v1/me')).status).toBe(200);
      const out = await pageFetch(page, '/auth/logout', { method: 'POST', headers: { 'X-Harness-Client': 'web' } });
      expect(out.status).toBe(204);
      expect(await sessionCookie(context)).toBeUndefined();
      expect(await pageFetch(page, '/v1/me')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      await context.addCookies([cookie]);
      expect(await pageFetch(page, '/v1/me')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    });
  }, 60_000);

  it('an expired session answers 401 on the page', async () => {
    await withContext('browser-expired', async (page, context) => {
      await signIn(page, 'grace');
      expect((await pageFetch(page, '/v1/me')).status).toBe(200);
      const { rowCount } = await system.db.pool.query(
        "UPDATE sessions SET expires_at = now() - interval '1 second', created_at = now() - interval '2 days' WHERE token_hash = $1",
        [hashSessionToken((await sessionCookie(context))!.value)],
      );
      expect(rowCount).toBe(1);
      // Within the gateway's verification cache (at most 5 s).
      await waitFor(async () => (await pageFetch(page, '/v1/me')).status === 401, { timeoutMs: 15_000, description: 'the expired session refused' });
    });
  }, 60_000);

  it('a refused callback (a bogus state) shows the error page: clear, accessible, and no session', async () => {
    await withContext('browser-refused-callback', async (page, context) => {
      const res = await page.goto(`${gw}/auth/callback/dev?code=bogus-code&state=bogus-state`);
      expect(res!.status()).toBe(400);
      await expect(page.title()).resolves.toBe('Sign-in failed · Harness');
      await expect(page.getByRole('heading', { level: 1, name: 'Sign-in failed' }).count()).resolves.toBe(1);
      const alert = (await page.getByRole('alert').textContent()) ?? '';
      expect(alert).toBe('The sign-in was refused: the sign-in has no valid state: start again.');
      expect(alert).not.toMatch(/\bat \S+ \(|Error:|node_modules/);
      await expect(page.getByRole('link', { name: 'Back to Harness' }).getAttribute('href')).resolves.toBe('/auth/login/dev');
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'gateway-sign-in-error-page');
      expect(await sessionCookie(context)).toBeUndefined();
    });
  }, 60_000);
});
