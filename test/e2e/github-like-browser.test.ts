// The GitHub-shaped server's consent page in Chromium: a relying party in this file runs GitHub's web flow as a
// classic OAuth app does (no PKCE needed, form-encoded token answer, profile and e-mails from the API).
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectNoAxeViolations, launchBrowser, withScreenshotOnFailure, type LaunchedBrowser } from '@harness/testing';
import { startGitHubLike, type GitHubLikeHandle } from '../../tools/oauth-test-server/src/index.js';

const CLIENT_ID = 'Iv1.browser';
const CLIENT_SECRET = randomBytes(16).toString('hex');

let gh: GitHubLikeHandle;
let rpServer: Server;
let rpUrl = '';
let launched: LaunchedBrowser;
const states = new Set<string>();
const signedIn: { login: string; id: number; primaryEmail: string | undefined }[] = [];

async function rpCallback(query: URLSearchParams): Promise<string> {
  const state = query.get('state') ?? '';
  if (!states.delete(state)) return 'Refused: unknown state';
  if (query.get('error')) return `Refused: ${query.get('error')}`;
  const tokenRes = await fetch(gh.endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code: query.get('code') ?? '', redirect_uri: `${rpUrl}/callback` }),
  });
  const answer = new URLSearchParams(await tokenRes.text());
  const token = answer.get('access_token');
  if (!token) return `Refused: ${answer.get('error')}`;
  const headers = { authorization: `Bearer ${token}`, 'user-agent': 'harness-e2e', accept: 'application/vnd.github+json' };
  const user = (await (await fetch(gh.endpoints.user, { headers })).json()) as { login: string; id: number };
  const emails = (await (await fetch(gh.endpoints.emails, { headers })).json()) as { email: string; primary: boolean; verified: boolean }[];
  signedIn.push({ login: user.login, id: user.id, primaryEmail: emails.find((e) => e.primary && e.verified)?.email });
  return `Signed in as ${user.login}`;
}

beforeAll(async () => {
  rpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', rpUrl);
    if (url.pathname === '/login') {
      const state = randomBytes(16).toString('hex');
      states.add(state);
      const params = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: `${rpUrl}/callback`, scope: 'read:user user:email', state });
      res.writeHead(302, { location: `${gh.endpoints.authorization}?${params}` }).end();
      return;
    }
    rpCallback(url.searchParams).then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(text),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((resolve) => rpServer.listen(0, '127.0.0.1', resolve));
  rpUrl = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}`;
  gh = await startGitHubLike({
    approval: 'page',
    users: [{ id: 4242, login: 'hubber', name: 'Hub Ber', emails: [{ email: 'hubber@example.test', primary: true, verified: true, visibility: 'private' }] }],
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, callbackUrl: `${rpUrl}/callback`, name: 'Harness' }],
  });
  launched = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await launched?.close();
  await gh?.close();
  await new Promise<void>((resolve) => {
    if (!rpServer) return resolve();
    rpServer.close(() => resolve());
    rpServer.closeAllConnections();
  });
});

test('Chromium authorizes the app on the consent page (axe-clean) and the app reads the profile and the verified e-mail', async () => {
  const { page } = launched;
  await withScreenshotOnFailure(page, 'github-like-consent', async () => {
    await page.goto(`${rpUrl}/login`);
    await page.waitForURL((u) => u.origin === gh.url && u.pathname === '/login/oauth/authorize');
    await expectNoAxeViolations(page);
    // The page's CSP must let the post's redirect reach the app's origin (form-action), or the browser stops here.
    await page.getByRole('button', { name: 'Authorize Harness' }).click();
    await page.waitForURL((u) => u.origin === rpUrl && u.pathname === '/callback');
    await expect(page.locator('body').textContent()).resolves.toBe('Signed in as hubber');
    expect(signedIn).toEqual([{ login: 'hubber', id: 4242, primaryEmail: 'hubber@example.test' }]);
  });
}, 60_000);

test('Cancel on the consent page sends the browser back with access_denied', async () => {
  const { page } = launched;
  await withScreenshotOnFailure(page, 'github-like-cancel', async () => {
    await page.goto(`${rpUrl}/login`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.origin === rpUrl && u.pathname === '/callback');
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    await expect(page.locator('body').textContent()).resolves.toBe('Refused: access_denied');
  });
}, 60_000);
