// The web app's shell in real Chromium against the real system: sign-in (providers, deep link), the conversations
// sidebar (newest first, infinite scroll, new, rename, delete), display modes saved in settings, the user menu's
// sign-out, errors as toasts with the API's message, 375 px, and axe on every state.
import {
  expectNoAxeViolations, launchBrowser, signInWithDev, startSystem, takeScreenshot, waitFor, withScreenshotOnFailure, type LaunchedBrowser, type System,
} from '@harness/testing';
import type { BrowserContext, Page } from 'playwright-core';

/** The page's globals inside `evaluate` (the tests compile without the DOM library). */
interface PageGlobals {
  document: { activeElement: unknown; documentElement: { dataset: Record<string, string | undefined>; scrollWidth: number } };
  innerWidth: number;
}

interface Answer<T = any> {
  status: number;
  body: T;
}

describe('web app shell', () => {
  let system: System;
  let launched: LaunchedBrowser;
  let gw: string;

  beforeAll(async () => {
    // 65 conversations are made in a few seconds for the scroll test.
    system = await startSystem({ label: 'web-shell', env: { HARNESS_RATE_LIMIT_CONVERSATION_CREATES: 'off' } });
    gw = system.gatewayUrl;
    launched = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await launched?.close();
    await system?.stop();
  });

  /** A same-origin call from the page, with the session cookie and the app's CSRF header, as the app makes it. */
  const call = <T = any>(page: Page, method: string, path: string, body?: unknown): Promise<Answer<T>> =>
    page.evaluate(async ({ method, path, body }) => {
      const res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: { 'X-Harness-Client': 'web', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    }, { method, path, body });

  /** Clicks "Sign in with Dev" on the app's sign-in page and signs `username` in on the IdP's page (if it asks). */
  const signInFromApp = async (page: Page, username: string, expectedPath: string) => {
    await signInWithDev(page, gw, username, expectedPath);
    await page.getByRole('navigation', { name: 'Conversations' }).or(page.getByRole('radiogroup', { name: 'Display mode' })).first().waitFor();
  };

  const withPerson = async <T>(name: string, fn: (page: Page, context: BrowserContext) => Promise<T>, opts: { width?: number; dark?: boolean } = {}): Promise<T> => {
    const context = await launched.browser.newContext({ viewport: { width: opts.width ?? 1280, height: 800 }, colorScheme: opts.dark ? 'dark' : 'light' });
    const page = await context.newPage();
    try {
      return await withScreenshotOnFailure(page, name, () => fn(page, context));
    } finally {
      await context.close();
    }
  };

  const signedIn = async (page: Page, username: string, path = '/') => {
    await page.goto(`${gw}${path}`);
    await signInFromApp(page, username, path);
  };

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });
  const titlesInNav = (page: Page) => nav(page).getByRole('listitem').getByRole('link').allTextContents();

  it('the sign-in page lists the providers, is accessible, and signing in returns to the deep link asked for', async () => {
    await withPerson('web-sign-in', async (page) => {
      await page.goto(`${gw}/harnesses?from=deep-link`);
      const button = page.getByRole('button', { name: 'Sign in with Dev' });
      await button.waitFor();
      await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Harness' }).count()).resolves.toBe(1);
      await expect(button.getAttribute('href')).resolves.toBe(`/auth/login/dev?returnTo=${encodeURIComponent('/harnesses?from=deep-link')}`);
      await expect(page.title()).resolves.toBe('Sign in · Harness');
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'web-sign-in');
      expect((await call(page, 'GET', '/v1/me')).status).toBe(401);

      await signInFromApp(page, 'dana', '/harnesses?from=deep-link');
      await expect(page.getByRole('link', { name: 'Harnesses' }).getAttribute('aria-current')).resolves.toBe('page');
      await expect(page.getByRole('button', { name: /dana/ }).count()).resolves.toBe(1);
      expect((await call(page, 'GET', '/v1/me')).body.name).toBe('dana');
    });
  }, 60_000);

  it('first run: with no harness, home and sidebar explain harnesses and link to creating one', async () => {
    await withPerson('web-first-run', async (page) => {
      await signedIn(page, 'newbie');
      await page.getByRole('heading', { level: 1, name: 'Welcome to Harness, newbie' }).waitFor();
      await expect(page.getByRole('main').getByRole('link', { name: 'Create your first harness' }).getAttribute('href')).resolves.toBe('/harnesses/new');
      await expect(nav(page).getByRole('link', { name: 'Create a harness' }).getAttribute('href')).resolves.toBe('/harnesses/new');
      await expect(page.getByRole('button', { name: 'New conversation' }).count()).resolves.toBe(0);
      await expect(nav(page).getByText('No conversations yet.').count()).resolves.toBe(1);
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'web-first-run');
      await page.getByRole('main').getByRole('link', { name: 'Create your first harness' }).click();
      await page.waitForURL(`${gw}/harnesses/new`);
    });
  }, 60_000);

  it('conversations: newest first, infinite scroll, new (with the harness picked, remembered), rename (Enter saves, Esc cancels), delete', async () => {
    await withPerson('web-conversations', async (page) => {
      await signedIn(page, 'lister');
      const first = (await call(page, 'POST', '/v1/harnesses', { name: 'Echo', model: 'sim/echo' })).body;
      const second = (await call(page, 'POST', '/v1/harnesses', { name: 'Second', model: 'sim/echo' })).body;
      // One after the other (so their creation order is their number), in one round trip to the page.
      const made = await page.evaluate(async (harnessId) => {
        const ids: string[] = [];
        for (let i = 1; i <= 65; i++) {
          const res = await fetch('/v1/conversations', {
            method: 'POST',
            headers: { 'X-Harness-Client': 'web', 'Content-Type': 'application/json' },
            body: JSON.stringify({ harnessId, title: `Conversation ${String(i).padStart(2, '0')}` }),
          });
          if (res.status !== 201) throw new Error(`create: ${res.status}`);
          ids.push(((await res.json()) as { id: string }).id);
        }
        return ids;
      }, first.id as string);
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'What shall we work on, lister?' }).waitFor();
      await nav(page).getByRole('link', { name: 'Conversation 65' }).waitFor();
      const expected = Array.from({ length: 65 }, (_, i) => `Conversation ${String(65 - i).padStart(2, '0')}`);
      // One page first (30), not all of them.
      expect(await titlesInNav(page)).toEqual(expected.slice(0, 30));
      await expect(nav(page).getByRole('list', { name: 'Today' }).count()).resolves.toBe(1);
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'web-home-with-conversations');

      // Scrolling to the end loads the next pages, until there is no more.
      for (const count of [60, 65]) {
        await nav(page).getByRole('link').last().scrollIntoViewIfNeeded();
        await waitFor(async () => (await titlesInNav(page)).length === count, { timeoutMs: 10_000, description: `${count} conversations listed` });
      }
      expect(await titlesInNav(page)).toEqual(expected);
      await nav(page).getByRole('link').last().scrollIntoViewIfNeeded();
      await expect(nav(page).getByText('Loading more…').count()).resolves.toBe(0);
      expect((await titlesInNav(page)).length).toBe(65);

      // New conversation with the picked harness; the choice survives a reload.
      const picker = nav(page).getByRole('combobox', { name: 'Harness' });
      await picker.selectOption({ label: 'Second' });
      await page.getByRole('button', { name: 'New conversation' }).click();
      await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
      const newId = page.url().split('/c/')[1]!;
      expect((await call(page, 'GET', `/v1/conversations/${newId}`)).body).toMatchObject({ harnessId: second.id, title: 'New conversation' });
      const top = nav(page).getByRole('listitem').getByRole('link').first();
      await expect(top.textContent()).resolves.toBe('New conversation');
      await expect(top.getAttribute('aria-current')).resolves.toBe('page');
      await expectNoAxeViolations(page);
      await page.reload();
      await nav(page).getByRole('link', { name: 'Conversation 65' }).waitFor();
      await expect(nav(page).getByRole('combobox', { name: 'Harness' }).inputValue()).resolves.toBe(second.id);
      await expect(nav(page).getByRole('link', { name: 'New conversation' }).getAttribute('aria-current')).resolves.toBe('page');

      // Rename: Enter saves.
      await nav(page).getByRole('button', { name: 'Rename Conversation 65' }).click();
      const box = nav(page).getByRole('textbox', { name: 'Conversation title' });
      await expect(box.inputValue()).resolves.toBe('Conversation 65');
      await box.fill('Trip to Lisbon');
      await box.press('Enter');
      await nav(page).getByRole('link', { name: 'Trip to Lisbon' }).waitFor();
      expect((await call(page, 'GET', `/v1/conversations/${made[64]}`)).body.title).toBe('Trip to Lisbon');
      // Esc cancels: nothing sent, the title stays, focus back on the rename button.
      await nav(page).getByRole('button', { name: 'Rename Trip to Lisbon' }).click();
      await box.fill('Not this');
      await box.press('Escape');
      await expect(box.count()).resolves.toBe(0);
      await expect(nav(page).getByRole('link', { name: 'Trip to Lisbon' }).count()).resolves.toBe(1);
      await waitFor(() => nav(page).getByRole('button', { name: 'Rename Trip to Lisbon' }).evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement), { description: 'focus back on Rename' });
      expect((await call(page, 'GET', `/v1/conversations/${made[64]}`)).body.title).toBe('Trip to Lisbon');

      // Delete asks first: Cancel keeps it, Delete removes it.
      await nav(page).getByRole('button', { name: 'Delete Conversation 64' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete conversation?' });
      await dialog.waitFor();
      await expectNoAxeViolations(page);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog.count()).resolves.toBe(0);
      expect((await call(page, 'GET', `/v1/conversations/${made[63]}`)).status).toBe(200);
      await nav(page).getByRole('button', { name: 'Delete Conversation 64' }).click();
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await waitFor(async () => (await nav(page).getByRole('link', { name: 'Conversation 64' }).count()) === 0, { description: 'the deleted one gone' });
      expect((await call(page, 'GET', `/v1/conversations/${made[63]}`)).status).toBe(404);

      // Deleting the open conversation goes home.
      await nav(page).getByRole('button', { name: 'Delete New conversation' }).click();
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(`${gw}/`);
      await expect(nav(page).getByRole('link', { name: 'New conversation' }).count()).resolves.toBe(0);
    });
  }, 90_000);

  it('an API error shows as a toast with the API message (renaming a conversation deleted in another tab)', async () => {
    await withPerson('web-toast', async (page) => {
      await signedIn(page, 'toaster');
      const h = (await call(page, 'POST', '/v1/harnesses', { name: 'Echo', model: 'sim/echo' })).body;
      const c = (await call(page, 'POST', '/v1/conversations', { harnessId: h.id, title: 'Soon gone' })).body;
      await page.reload();
      await nav(page).getByRole('link', { name: 'Soon gone' }).waitFor();
      expect((await call(page, 'DELETE', `/v1/conversations/${c.id}`)).status).toBe(204);
      await nav(page).getByRole('button', { name: 'Rename Soon gone' }).click();
      await nav(page).getByRole('textbox', { name: 'Conversation title' }).fill('New name');
      await nav(page).getByRole('textbox', { name: 'Conversation title' }).press('Enter');
      const alert = page.getByRole('alert').filter({ hasText: 'conversation not found' });
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toBe('conversation not found');
      await waitFor(async () => (await nav(page).getByRole('link', { name: 'Soon gone' }).count()) === 0, { description: 'the list caught up' });
      await takeScreenshot(page, 'web-error-toast');
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      await expect(page.getByRole('alert').count()).resolves.toBe(0);

      // Ctrl+Shift+O starts a new conversation from anywhere.
      await page.keyboard.press('Control+Shift+O');
      await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
      await expect(nav(page).getByRole('link', { name: 'New conversation' }).getAttribute('aria-current')).resolves.toBe('page');
    });
  }, 60_000);

  it('display modes switch, are saved in the settings and survive a reload; zen hides the navigation', async () => {
    await withPerson('web-display-modes', async (page) => {
      await signedIn(page, 'moder');
      const h = (await call(page, 'POST', '/v1/harnesses', { name: 'Echo', model: 'sim/echo' })).body;
      const c = (await call(page, 'POST', '/v1/conversations', { harnessId: h.id, title: 'Zen talk' })).body;
      const modes = page.getByRole('radiogroup', { name: 'Display mode' });
      const checked = (name: string) => waitFor(() => page.getByRole('radio', { name }).isChecked(), { description: `${name} checked` });
      await checked('Standard');

      const saved = page.waitForResponse((r) => r.url().endsWith('/v1/me/settings') && r.request().method() === 'PUT');
      await modes.getByRole('radio', { name: 'Developer' }).check();
      expect((await saved).status()).toBe(200);
      await expect(page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.displayMode)).resolves.toBe('developer');
      expect((await call(page, 'GET', '/v1/me/settings')).body.displayMode).toBe('developer');
      await page.reload();
      await checked('Developer');

      // Keyboard: arrows move through the radios and choose.
      await page.getByRole('radio', { name: 'Developer' }).focus();
      await page.keyboard.press('ArrowLeft');
      await checked('Standard');

      await page.goto(`${gw}/c/${c.id}`);
      await page.getByRole('radio', { name: 'Zen' }).check();
      await waitFor(async () => (await nav(page).count()) === 0, { description: 'zen hides the navigation' });
      await expect(page.getByRole('link', { name: 'Harnesses' }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: 'Conversations' }).count()).resolves.toBe(0);
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'web-zen');
      await waitFor(async () => (await call(page, 'GET', '/v1/me/settings')).body.displayMode === 'zen', { description: 'zen saved' });
      await page.reload();
      await page.getByRole('radio', { name: 'Zen' }).waitFor();
      await checked('Zen');
      await expect(nav(page).count()).resolves.toBe(0);
      await page.getByRole('radio', { name: 'Standard' }).check();
      await nav(page).waitFor();
      await expect(nav(page).getByRole('link', { name: 'Zen talk' }).getAttribute('aria-current')).resolves.toBe('page');
    });
  }, 60_000);

  it('at 375 px (in dark mode): the sidebar hides behind the "Conversations" button, everything fits, and it is accessible', async () => {
    await withPerson('web-narrow', async (page) => {
      await signedIn(page, 'narrow');
      const h = (await call(page, 'POST', '/v1/harnesses', { name: 'Echo', model: 'sim/echo' })).body;
      for (const title of ['Groceries', 'A rather long conversation title that must be cut short in the list', 'Weekend plans']) {
        await call(page, 'POST', '/v1/conversations', { harnessId: h.id, title });
      }
      await page.reload();
      await page.getByRole('heading', { level: 1 }).waitFor();
      const fits = () => page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        return g.document.documentElement.scrollWidth <= g.innerWidth;
      });
      await expect(fits()).resolves.toBe(true);
      await expect(nav(page).isVisible()).resolves.toBe(false);
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'web-375-home');

      const toggle = page.getByRole('button', { name: 'Conversations' });
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      await toggle.click();
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      await nav(page).getByRole('link', { name: 'Weekend plans' }).waitFor({ state: 'visible' });
      await expectNoAxeViolations(page);
      await takeScreenshot(page, 'web-375-conversations');
      // Esc closes it and gives focus back to the button.
      await page.keyboard.press('Escape');
      await expect(nav(page).isVisible()).resolves.toBe(false);
      await waitFor(() => toggle.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement), { description: 'focus back on the toggle' });

      await toggle.click();
      await nav(page).getByRole('link', { name: 'Groceries' }).click();
      await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
      // The conversation page loads its code lazily: check the page once it shows the conversation, not its loading state.
      await page.getByRole('heading', { level: 1, name: 'Groceries' }).waitFor({ state: 'visible' });
      await expect(nav(page).isVisible()).resolves.toBe(false);
      await expect(fits()).resolves.toBe(true);
      await expectNoAxeViolations(page);
      await page.setViewportSize({ width: 1280, height: 800 });
      await expect(nav(page).isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(page);

      // The user menu works at 375 px too.
      await page.setViewportSize({ width: 375, height: 800 });
      await page.getByRole('button', { name: /narrow/ }).click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).waitFor();
      await expect(fits()).resolves.toBe(true);
    }, { width: 375, dark: true });
  }, 60_000);

  it('the user menu: keyboard, "Sign out" returns to the sign-in page with /v1/me 401; "Sign out everywhere" ends every session', async () => {
    await withPerson('web-sign-out', async (page) => {
      await signedIn(page, 'leaver');
      const menuButton = page.getByRole('button', { name: /leaver/ });
      await expect(menuButton.getAttribute('aria-haspopup')).resolves.toBe('menu');
      await menuButton.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('menu').waitFor();
      await waitFor(() => page.getByRole('menuitem', { name: 'Sign out', exact: true }).evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement), { description: 'first item focused' });
      await page.keyboard.press('ArrowDown');
      await waitFor(() => page.getByRole('menuitem', { name: 'Sign out everywhere' }).evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement), { description: 'arrow moves' });
      await expectNoAxeViolations(page);
      await page.keyboard.press('Escape');
      await expect(page.getByRole('menu').count()).resolves.toBe(0);
      await waitFor(() => menuButton.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement), { description: 'focus back on the menu button' });

      await menuButton.click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
      await page.getByRole('button', { name: 'Sign in with Dev' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      expect((await call(page, 'GET', '/v1/me')).status).toBe(401);
    });

    // Two browsers of one person: "Sign out everywhere" in one ends the other's session too.
    await withPerson('web-sign-out-everywhere', async (page) => {
      await signedIn(page, 'roamer');
      await withPerson('web-sign-out-everywhere-other', async (other) => {
        await signedIn(other, 'roamer');
        await page.getByRole('button', { name: /roamer/ }).click();
        await page.getByRole('menuitem', { name: 'Sign out everywhere' }).click();
        await page.getByRole('button', { name: 'Sign in with Dev' }).waitFor();
        await waitFor(async () => (await call(other, 'GET', '/v1/me')).status === 401, { timeoutMs: 15_000, description: 'the other session ended' });
        // The other tab's next request signs it out, saying why.
        await other.getByRole('radio', { name: 'Developer' }).click();
        await other.getByText('Your session has ended.').waitFor();
        await other.getByRole('button', { name: 'Sign in with Dev' }).waitFor();
      });
    });
  }, 60_000);
});
