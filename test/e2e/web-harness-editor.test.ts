// The harness list and editor in Chromium against the real system: fields saved and reloaded, bearer servers (write-only
// token), inline URL editing, listing errors per server, and OAuth Connect in a popup end to end (the in-repo
// authorization server approves at once), with the popup protocol's origin/source/nonce checks exercised by forgeries.
import {
  expectNoAxeViolations, getFreePort, launchBrowser, signInWithDev, startSystem, takeScreenshot, waitFor, withScreenshotOnFailure,
  type LaunchedBrowser, type System,
} from '@harness/testing';
import type { BrowserContext, Locator, Page, Route } from 'playwright-core';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';

const TOKEN = 'editor-secret-token-7f3a9c';

/** The few browser globals the page scripts below use (the tests compile without the DOM library). */
interface PageGlobals {
  document: { documentElement: { scrollWidth: number } };
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  requestAnimationFrame(callback: () => void): number;
  scrollTo(x: number, y: number): void;
  opener: { postMessage(message: unknown, targetOrigin: string): void };
}


interface HarnessJson {
  id: string;
  name: string;
  model: string;
  systemPrompt: string;
  reasoning: { effort: string } | null;
  mcpServers: { id: string; name: string; url: string; authType: string; hasAuthToken: boolean }[];
}

describe('web: harness list and editor', () => {
  let system: System;
  let launched: LaunchedBrowser;
  let secured: McpTestServerHandle;
  let plain: McpTestServerHandle;
  let as: OAuthTestServerHandle;
  let gw: string;
  let closedUrl: string;

  beforeAll(async () => {
    [secured, plain, as] = await Promise.all([startMcpTestServer({ bearerToken: TOKEN }), startMcpTestServer(), startOAuthTestServer()]);
    closedUrl = `http://127.0.0.1:${await getFreePort()}/mcp`;
    system = await startSystem({
      label: 'web-harness-editor',
      env: { HARNESS_RATE_LIMIT_TOOL_LISTS: 'off', HARNESS_RATE_LIMIT_OAUTH_STARTS: 'off' },
    });
    gw = system.gatewayUrl;
    launched = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await launched?.close();
    await system?.stop();
    await Promise.all([secured?.close(), plain?.close(), as?.close()]);
  });

  /** A fresh browser (context) signed in as `username` the way a person does it, on `path`. */
  const asUser = async <T>(username: string, path: string, fn: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> => {
    const context = await launched.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      return await withScreenshotOnFailure(page, `harness-editor-${username}`, async () => {
        await page.goto(`${gw}${path}`);
        await signInWithDev(page, gw, username, path);
        return await fn(page, context);
      });
    } finally {
      await context.close();
    }
  };

  const apiGet = <T>(page: Page, path: string): Promise<T> =>
    page.evaluate(async (p) => (await fetch(p, { headers: { 'X-Harness-Client': 'web' } })).json(), path) as Promise<T>;

  const harnessIdOf = (page: Page) => /\/harnesses\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1];

  const server = (page: Page, name: string): Locator => page.getByRole('group', { name, exact: true });

  /** Waits until `locator`'s text matches. */
  const textOf = async (locator: Locator, pattern: RegExp, description: string) => {
    await waitFor(async () => pattern.test((await locator.textContent().catch(() => '')) ?? ''), { timeoutMs: 20_000, description });
  };

  const axeAtBothWidths = async (page: Page, name: string) => {
    await page.evaluate(() => (globalThis as unknown as PageGlobals).scrollTo(0, 0));
    await expectNoAxeViolations(page);
    await takeScreenshot(page, `${name}-1280`);
    await page.setViewportSize({ width: 375, height: 800 });
    await expectNoAxeViolations(page);
    // Nothing wider than the screen at 375 px.
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await takeScreenshot(page, `${name}-375`);
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  /** Lets every message posted before it be dispatched (and React render what they caused) before going on. */
  const settleMessages = (page: Page) =>
    page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const window = globalThis as unknown as PageGlobals;
          const requestAnimationFrame = window.requestAnimationFrame.bind(window);
          const onMessage = (e: { data: unknown }) => {
            if (e.data !== 'test:sentinel') return;
            window.removeEventListener('message', onMessage);
            requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
          };
          window.addEventListener('message', onMessage);
          window.postMessage('test:sentinel', '*');
        }),
    );

  it('creates a harness with name, model, system prompt and reasoning; validation errors; reload; list; delete with confirmation', async () => {
    await asUser('hana', '/harnesses', async (page) => {
      await page.getByRole('heading', { name: 'No harnesses yet' }).waitFor();
      await axeAtBothWidths(page, 'harness-list-empty');
      await page.getByRole('link', { name: 'New harness' }).click();
      await page.waitForURL(`${gw}/harnesses/new`);

      // The model list comes from /v1/models (the simulator's), free text allowed.
      await waitFor(async () => (await page.locator('datalist option[value="sim/reasoning"]').count()) === 1, { description: 'models listed' });
      await page.getByRole('combobox', { name: 'Model' }).fill('sim/reasoning');
      await page.getByRole('textbox', { name: 'System prompt' }).fill('You answer like a pirate.');
      await page.getByRole('combobox', { name: 'Reasoning' }).selectOption({ label: 'Medium' });
      await textOf(page.getByRole('status').filter({ hasText: 'Unsaved' }), /Unsaved changes/, 'unsaved changes shown');

      // The API's 400 names the field: shown next to it and as a toast.
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('alert').filter({ hasText: /name/i }).first().waitFor();
      const nameBox = page.getByRole('textbox', { name: 'Name' });
      expect(await nameBox.getAttribute('aria-invalid')).toBe('true');
      const described = (await nameBox.getAttribute('aria-describedby'))!.split(' ')[0]!;
      expect(await page.locator(`[id="${described}"]`).textContent()).toBe('Required.');
      expect(page.url()).toBe(`${gw}/harnesses/new`);

      await nameBox.fill('Pirate helper');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(/\/harnesses\/[0-9a-f-]{36}$/);
      const id = harnessIdOf(page)!;
      await page.getByRole('heading', { level: 1, name: 'Pirate helper' }).waitFor();
      expect(await nameBox.getAttribute('aria-invalid')).toBeNull();
      expect(await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).toMatchObject({
        name: 'Pirate helper', model: 'sim/reasoning', systemPrompt: 'You answer like a pirate.', reasoning: { effort: 'medium' }, mcpServers: [],
      });

      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Pirate helper' }).waitFor();
      expect(await page.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('Pirate helper');
      expect(await page.getByRole('combobox', { name: 'Model' }).inputValue()).toBe('sim/reasoning');
      expect(await page.getByRole('textbox', { name: 'System prompt' }).inputValue()).toBe('You answer like a pirate.');
      expect(await page.getByRole('combobox', { name: 'Reasoning' }).inputValue()).toBe('medium');

      // Reasoning Off clears it (null).
      await page.getByRole('combobox', { name: 'Reasoning' }).selectOption({ label: 'Off' });
      await page.getByRole('button', { name: 'Save' }).click();
      await waitFor(async () => (await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).reasoning === null, { description: 'reasoning cleared' });
      await textOf(page.getByRole('status').filter({ hasText: 'saved' }), /All changes saved/, 'saved state');

      // Leaving with unsaved changes asks first.
      await page.getByRole('textbox', { name: 'Name' }).fill('Pirate helper (draft)');
      await page.getByRole('link', { name: 'All harnesses' }).click();
      const leave = page.getByRole('dialog', { name: 'Discard unsaved changes?' });
      await leave.getByRole('button', { name: 'Cancel' }).click();
      expect(await page.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('Pirate helper (draft)');
      await page.getByRole('link', { name: 'All harnesses' }).click();
      await leave.getByRole('button', { name: 'Discard changes' }).click();
      await page.waitForURL(`${gw}/harnesses`);
      const card = page.getByRole('listitem').filter({ hasText: 'Pirate helper' });
      await card.waitFor();
      expect(await card.textContent()).toContain('sim/reasoning');
      expect(await card.textContent()).toContain('No MCP servers');
      await axeAtBothWidths(page, 'harness-list');

      await card.getByRole('button', { name: 'Delete Pirate helper' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete “Pirate helper”?' });
      await dialog.waitFor();
      await expectNoAxeViolations(page);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect(await card.count()).toBe(1);
      await card.getByRole('button', { name: 'Delete Pirate helper' }).click();
      await dialog.getByRole('button', { name: 'Delete harness' }).click();
      await page.getByRole('heading', { name: 'No harnesses yet' }).waitFor();
      expect((await apiGet<{ items: unknown[] }>(page, '/v1/harnesses')).items).toEqual([]);
    });
  }, 90_000);

  it('bearer server: tools listed, the token never shown; an unlistable server shows its error; client_credentials fields; inline URL edit Esc cancels, Enter saves', async () => {
    await asUser('bea', '/harnesses/new', async (page) => {
      await page.getByRole('textbox', { name: 'Name' }).fill('Tools');
      await page.getByRole('combobox', { name: 'Model' }).fill('sim/tools');

      await page.getByRole('button', { name: 'Add MCP server' }).click();
      const fresh = server(page, 'New server');
      await fresh.getByRole('textbox', { name: 'Server name' }).fill('secured');
      const securedGroup = server(page, 'secured');
      await securedGroup.getByRole('textbox', { name: 'Server URL' }).fill(secured.url);
      await securedGroup.getByRole('combobox', { name: 'Auth type' }).selectOption('bearer');
      await securedGroup.getByLabel('Bearer token').fill(TOKEN);

      await page.getByRole('button', { name: 'Add MCP server' }).click();
      await server(page, 'New server').getByRole('textbox', { name: 'Server name' }).fill('broken');
      const broken = server(page, 'broken');
      await broken.getByRole('textbox', { name: 'Server URL' }).fill(closedUrl);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(/\/harnesses\/[0-9a-f-]{36}$/);
      const id = harnessIdOf(page)!;

      // Long tool lists start collapsed: the disclosure opens them.
      await securedGroup.locator('summary', { hasText: /^\d+ tools$/ }).click();
      await securedGroup.getByText('echo', { exact: true }).waitFor();
      await securedGroup.getByText('Returns its text.').first().waitFor();
      await textOf(broken, /Tools unavailable\. Could not list/, 'the broken server shows its listing error');
      expect(await securedGroup.textContent()).not.toContain('Tools unavailable');

      // The token: stored (hasAuthToken), never in the page nor in the API's answer.
      await securedGroup.getByText('Token saved').waitFor();
      expect(await securedGroup.getByLabel('Bearer token').inputValue()).toBe('');
      expect(await page.content()).not.toContain(TOKEN);
      const stored = await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`);
      expect(stored.mcpServers).toEqual([
        expect.objectContaining({ name: 'secured', url: secured.url, authType: 'bearer', hasAuthToken: true }),
        expect.objectContaining({ name: 'broken', url: closedUrl, authType: 'none', hasAuthToken: false }),
      ]);
      expect(JSON.stringify(stored)).not.toContain(TOKEN);

      await axeAtBothWidths(page, 'harness-editor-bearer-and-error');

      // Saving again with the token field empty keeps the stored token (the tools still list).
      await page.getByRole('textbox', { name: 'System prompt' }).fill('Use the tools.');
      await page.getByRole('button', { name: 'Save' }).click();
      await waitFor(async () => (await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).systemPrompt === 'Use the tools.', { description: 'saved' });
      expect((await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).mcpServers[0]!.hasAuthToken).toBe(true);
      await page.reload();
      await securedGroup.locator('summary', { hasText: /^\d+ tools$/ }).click();
      await securedGroup.getByText('echo', { exact: true }).waitFor();
      expect(await page.content()).not.toContain(TOKEN);

      // Esc restores the URL the edit began with and saves nothing.
      const url = broken.getByRole('textbox', { name: 'Server URL' });
      await url.click();
      await url.fill('http://127.0.0.1:9/elsewhere');
      await url.press('Escape');
      expect(await url.inputValue()).toBe(closedUrl);
      await textOf(page.getByRole('status').filter({ hasText: 'saved' }), /All changes saved/, 'nothing unsaved after Esc');
      // Enter saves the harness with the new URL: the server lists its tools now.
      await url.fill(plain.url);
      await url.press('Enter');
      await waitFor(async () => (await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).mcpServers[1]!.url === plain.url, { description: 'the URL saved by Enter' });
      await waitFor(async () => !/Tools unavailable/.test((await broken.textContent()) ?? ''), { timeoutMs: 20_000, description: 'the error gone' });
      await broken.locator('summary', { hasText: /^\d+ tools$/ }).click();
      await broken.getByText('Returns its text.').first().waitFor();
      // The tools are prefixed per server when names collide.
      await broken.getByText('broken__echo', { exact: true }).waitFor();

      // A client_credentials server: the API's 400 for a missing client id shows next to that server's field.
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      await server(page, 'New server').getByRole('textbox', { name: 'Server name' }).fill('service');
      const service = server(page, 'service');
      await service.getByRole('textbox', { name: 'Server URL' }).fill(plain.url);
      await service.getByRole('combobox', { name: 'Auth type' }).selectOption('client_credentials');
      await page.getByRole('button', { name: 'Save' }).click();
      const clientId = service.getByRole('textbox', { name: 'Client ID' });
      await waitFor(async () => (await clientId.getAttribute('aria-invalid')) === 'true', { description: 'the client id marked invalid' });
      await service.getByText('Required.').waitFor();
      expect(await page.getByRole('alert').filter({ hasText: 'mcpServers.2.clientId' }).count()).toBe(1);
      await clientId.fill('harness-service');
      await service.getByLabel('Client secret').fill('service-secret-value');
      await page.getByRole('button', { name: 'Save' }).click();
      await service.getByText('Secret saved').waitFor();
      expect(await page.content()).not.toContain('service-secret-value');
      expect((await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).mcpServers[2]).toMatchObject({ authType: 'client_credentials', clientId: 'harness-service', hasClientSecret: true });
      // Removed and saved: gone.
      await service.getByRole('button', { name: 'Remove service' }).click();
      await page.getByRole('button', { name: 'Save' }).click();
      await waitFor(async () => (await apiGet<HarnessJson>(page, `/v1/harnesses/${id}`)).mcpServers.length === 2, { description: 'the server removed' });
      expect(await service.count()).toBe(0);
    });
  }, 90_000);

  it('OAuth server: Connect in a popup end to end (forgeries ignored), status and tools live; Disconnect; a popup closed early', async () => {
    await asUser('olga', '/harnesses/new', async (page, context) => {
      await page.getByRole('textbox', { name: 'Name' }).fill('Connected tools');
      await page.getByRole('combobox', { name: 'Model' }).fill('sim/tools');
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      await server(page, 'New server').getByRole('textbox', { name: 'Server name' }).fill('protected');
      const oauth = server(page, 'protected');
      await oauth.getByRole('textbox', { name: 'Server URL' }).fill(as.url);
      await oauth.getByRole('combobox', { name: 'Auth type' }).selectOption('oauth');
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      await server(page, 'New server').getByRole('textbox', { name: 'Server name' }).fill('secured');
      const bearer = server(page, 'secured');
      await bearer.getByRole('textbox', { name: 'Server URL' }).fill(secured.url);
      await bearer.getByRole('combobox', { name: 'Auth type' }).selectOption('bearer');
      await bearer.getByLabel('Bearer token').fill(TOKEN);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(/\/harnesses\/[0-9a-f-]{36}$/);

      const status = oauth.getByRole('status');
      await textOf(status, /^Not connected$/, 'not connected at first');
      await textOf(oauth, /Connect your account to use its tools\./, 'the listing says: connect');
      await bearer.locator('summary', { hasText: /^\d+ tools$/ }).waitFor();

      // A message posted by the page itself, no flow running: ignored.
      await page.evaluate(() => (globalThis as unknown as PageGlobals).postMessage({ type: 'harness:mcp-oauth', status: 'connected', nonce: 'x' }, '*'));
      await settleMessages(page);
      expect(await status.textContent()).toBe('Not connected');

      // The authorization server's page is replaced, at first, by a page of the test's at its origin: the popup stays
      // open there while forgeries are posted from it, from the app's origin in it, and from the page itself.
      const asOrigin = new URL(as.url).origin;
      const authorizePath = (u: URL) => u.origin === asOrigin && u.pathname.endsWith('/authorize');
      const standIn = (route: Route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Authorize</title><p>Waiting</p>' });
      await context.route(authorizePath, standIn);
      const started = page.waitForResponse((r) => r.url().endsWith('/v1/mcp/oauth/start'));
      const popupOpened = page.waitForEvent('popup');
      await oauth.getByRole('button', { name: 'Connect' }).click();
      const popup = await popupOpened;
      const { nonce, authorizationUrl } = (await (await started).json()) as { nonce: string; authorizationUrl: string };
      expect(nonce).toBeTruthy();
      await popup.waitForURL((u) => authorizePath(u));
      expect(popup.url()).toBe(authorizationUrl);
      await textOf(status, /Waiting for authorization/, 'waiting for the popup');

      const forged = (n: string) => ({ type: 'harness:mcp-oauth', status: 'connected', serverUrl: as.url, message: null, nonce: n });
      // The right nonce from the right window, but another origin (the authorization server's).
      await popup.evaluate((m) => (globalThis as unknown as PageGlobals).opener.postMessage(m, '*'), forged(nonce));
      // The right nonce from the right origin, but another window (the page itself).
      await page.evaluate((m) => (globalThis as unknown as PageGlobals).postMessage(m, '*'), forged(nonce));
      await settleMessages(page);
      expect(popup.isClosed()).toBe(false);
      expect(await status.textContent()).toMatch(/Waiting for authorization/);

      // The right origin and window, but a wrong nonce: the gateway's own "connected" page (public, it posts whatever
      // nonce its URL names, then closes the popup). Ignored: the popup counts as closed without an answer.
      const forgedPage = `${gw}/v1/mcp/oauth/connected?serverUrl=${encodeURIComponent(as.url)}&nonce=forged-nonce-0123456789`;
      const forgedClosed = popup.waitForEvent('close', { timeout: 20_000 });
      await popup.goto(forgedPage).catch(() => undefined); // it closes itself as it loads
      await forgedClosed;
      await page.getByRole('status').filter({ hasText: 'closed before' }).waitFor();
      await textOf(status, /^Not connected$/, 'still not connected');
      expect(await page.getByRole('status').filter({ hasText: 'Connected to protected' }).count()).toBe(0);
      expect((await apiGet<{ status: string }>(page, `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).status).toBe('disconnected');

      // Now for real: the user approves (the test server approves at once), the callback page posts and closes.
      await context.unroute(authorizePath, standIn);
      const realPopup = page.waitForEvent('popup');
      await oauth.getByRole('button', { name: 'Connect' }).click();
      await (await realPopup).waitForEvent('close', { timeout: 20_000 });
      await page.getByRole('status').filter({ hasText: 'Connected to protected.' }).waitFor();
      await textOf(status, /^Connected/, 'connected');
      expect(await status.textContent()).toContain('mcp:read');
      // Its tools (prefixed: the bearer server has an `echo` too).
      await oauth.getByText('The client and scopes of the access token.').waitFor({ timeout: 20_000 });
      await oauth.getByText('protected__whoami', { exact: true }).waitFor();
      expect(await oauth.textContent()).not.toMatch(/Connect your account/);

      await axeAtBothWidths(page, 'harness-editor-bearer-and-oauth');

      // Disconnect: the status and the listing follow.
      await oauth.getByRole('button', { name: 'Disconnect' }).click();
      await textOf(status, /^Not connected$/, 'disconnected');
      await textOf(oauth, /Connect your account to use its tools\./, 'the listing says: connect again');
      expect((await apiGet<{ status: string }>(page, `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).status).toBe('disconnected');

      // A popup the user closes before approving: not connected, and Connect works again.
      await context.route(authorizePath, standIn);
      const second = page.waitForEvent('popup');
      await oauth.getByRole('button', { name: 'Connect' }).click();
      const abandoned = await second;
      await textOf(status, /Waiting for authorization/, 'waiting again');
      await abandoned.close();
      await page.getByRole('status').filter({ hasText: 'closed before' }).waitFor();
      await textOf(status, /^Not connected$/, 'still not connected');
      expect(await oauth.getByRole('button', { name: 'Connect' }).isEnabled()).toBe(true);
    });
  }, 90_000);
});
