// The dev IdP's sign-in page in a real browser (Debian's Chromium through playwright-core): a small relying party in
// this file runs the authorization code flow with PKCE, state and nonce, exchanges the code and verifies the ID token.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startDevIdp, subjectFor, type DevIdpHandle } from '@harness/dev-idp';
import { expectNoAxeViolations, launchBrowser, takeScreenshot, withScreenshotOnFailure, type LaunchedBrowser } from '@harness/testing';

const CLIENT_ID = 'browser-rp';
const CLIENT_SECRET = randomBytes(16).toString('base64url');
const MAX_PENDING = 100;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** What the relying party's callback saw: a verified ID token, or why it refused. */
type CallbackResult = { ok: true; code: string; claims: JWTPayload } | { ok: false; error: string };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal confidential client: /login starts the flow, /callback finishes it. */
class RelyingParty {
  readonly results: CallbackResult[] = [];
  private readonly pending = new Map<string, { nonce: string; verifier: string }>();
  private discovery: Discovery | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private server: Server | undefined;
  url = '';

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.page(res, 500, `RP error: ${(e as Error).message}`));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get redirectUri(): string {
    return `${this.url}/callback`;
  }

  async useIssuer(issuer: string): Promise<void> {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`);
    this.discovery = (await res.json()) as Discovery;
    this.jwks = createRemoteJWKSet(new URL(this.discovery.jwks_uri));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private page(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html lang="en"><head><title>RP</title></head><body><main><p id="result">${escapeHtml(text)}</p></main></body></html>`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const discovery = this.discovery!;
    if (url.pathname === '/login') {
      const state = randomBytes(16).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      this.pending.set(state, { nonce, verifier });
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: this.redirectUri,
        scope: 'openid profile email',
        state,
        nonce,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      });
      res.writeHead(302, { location: `${discovery.authorization_endpoint}?${params}` }).end();
      return;
    }
    if (url.pathname !== '/callback') return this.page(res, 404, 'not found');

    const refuse = (error: string): void => {
      this.results.push({ ok: false, error });
      this.page(res, 400, `Refused: ${error}`);
    };
    const state = url.searchParams.get('state') ?? '';
    const flow = this.pending.get(state);
    this.pending.delete(state);
    const code = url.searchParams.get('code');
    if (!flow) return refuse('unknown state');
    if (!code) return refuse(`no code (${url.searchParams.get('error') ?? 'no error'})`);
    if (url.searchParams.get('iss') !== discovery.issuer) return refuse('wrong iss');

    const tokenRes = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.redirectUri,
        code_verifier: flow.verifier,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }),
    });
    const tokens = (await tokenRes.json()) as { id_token?: string; error?: string };
    if (!tokenRes.ok || !tokens.id_token) return refuse(`token endpoint: ${tokenRes.status} ${tokens.error ?? ''}`);
    const { payload } = await jwtVerify(tokens.id_token, this.jwks!, { issuer: discovery.issuer, audience: CLIENT_ID });
    if (payload.nonce !== flow.nonce) return refuse('wrong nonce');
    this.results.push({ ok: true, code, claims: payload });
    this.page(res, 200, `Signed in as ${String(payload.preferred_username)}`);
  }
}

let rp: RelyingParty;
let idp: DevIdpHandle;
let launched: LaunchedBrowser;

beforeAll(async () => {
  rp = new RelyingParty();
  await rp.listen();
  idp = await startDevIdp({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [rp.redirectUri] }] });
  await rp.useIssuer(idp.issuer);
  launched = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await launched?.close();
  await idp?.close();
  await rp?.close();
});

test('a person signs in on the dev IdP page in Chromium; the RP gets a code and a verified ID token for the typed name', async () => {
  const { page } = launched;
  const username = `alice.${randomBytes(3).toString('hex')}`;
  await withScreenshotOnFailure(page, 'dev-idp-sign-in', async () => {
    await page.goto(`${rp.url}/login`);
    await page.waitForURL((u) => u.origin === new URL(idp.url).origin && u.pathname.startsWith('/interaction/'));

    await expect(page.getByText('Development only').isVisible()).resolves.toBe(true);
    const usernameBox = page.getByRole('textbox', { name: 'Username' });
    const signIn = page.getByRole('button', { name: 'Sign in' });
    await expect(usernameBox.count()).resolves.toBe(1);
    await expect(signIn.count()).resolves.toBe(1);
    await expectNoAxeViolations(page);
    await takeScreenshot(page, 'dev-idp-sign-in-page');

    await usernameBox.fill(username);
    await signIn.click();
    await page.waitForURL((u) => u.origin === rp.url && u.pathname === '/callback');
    await expect(page.locator('#result').textContent()).resolves.toBe(`Signed in as ${username}`);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('code')).toBeTruthy();

    expect(rp.results).toHaveLength(1);
    const result = rp.results[0]!;
    if (!result.ok) throw new Error(`the RP refused the callback: ${result.error}`);
    expect(result.code).toBe(callback.searchParams.get('code'));
    expect(result.claims).toMatchObject({
      preferred_username: username,
      sub: subjectFor(username),
      email: `${username}@dev.local`,
      aud: CLIENT_ID,
      iss: idp.issuer,
    });
  });
}, 60_000);

test('the same browser signs in again without the page (the IdP session) and gets the same subject', async () => {
  const { page } = launched;
  await withScreenshotOnFailure(page, 'dev-idp-second-sign-in', async () => {
    const before = rp.results.length;
    const first = rp.results.at(-1);
    if (!first?.ok) throw new Error('the first test did not sign in');
    await page.goto(`${rp.url}/login`);
    await page.waitForURL((u) => u.origin === rp.url && u.pathname === '/callback');
    expect(rp.results).toHaveLength(before + 1);
    const again = rp.results.at(-1)!;
    if (!again.ok) throw new Error(`the RP refused the callback: ${again.error}`);
    expect(again.claims.sub).toBe(first.claims.sub);
    expect(again.code).not.toBe(first.code);
  });
}, 60_000);

test('an invalid username is refused on the page with an accessible error, and the RP gets no code', async () => {
  const context = await launched.browser.newContext();
  const page = await context.newPage();
  try {
    await withScreenshotOnFailure(page, 'dev-idp-bad-username', async () => {
      const before = rp.results.length;
      await page.goto(`${rp.url}/login`);
      await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
      // The input's own `pattern` would stop the browser from posting; the server's check is what is tested here.
      await page.locator('form').evaluate((form) => form.setAttribute('novalidate', ''));
      await page.getByRole('textbox', { name: 'Username' }).fill('not a name!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Enter a username of/);
      expect(new URL(page.url()).origin).toBe(new URL(idp.url).origin);
      await expectNoAxeViolations(page);
      expect(rp.results).toHaveLength(before);
    });
  } finally {
    await context.close();
  }
}, 60_000);
