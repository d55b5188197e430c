import { randomBytes } from 'node:crypto';
import { startSystem, type System } from '@harness/testing';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';
import { BrowserCookies } from './support/browser.js';
import { Client } from './support/client.js';

const WEB_ORIGIN = 'https://app.harness.test';
const MAX_PENDING = 3;
const STATE_TTL_SECONDS = 600;

/**
 * MCP OAuth against hostile users with valid accounts, on the real system (gateway, auth service) and the in-repo
 * authorization server: a flow sent to someone else's browser, replayed and made-up states, and a flood of starts.
 * Every attack runs next to an honest user's flow, which must still connect.
 */
describe('MCP OAuth abuse (browser binding, refused states, pending-flow cap)', () => {
  let system: System;
  let as: OAuthTestServerHandle;

  beforeAll(async () => {
    as = await startOAuthTestServer();
    system = await startSystem({
      label: 'abuse-oauth',
      services: ['gateway', 'auth'],
      env: { WEB_ORIGIN, HARNESS_OAUTH_MAX_PENDING_PER_USER: String(MAX_PENDING) },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await as?.close();
  });

  const user = (id: string) => Client.as(system, id);

  /** POST start from a browser (its cookie sent, the answer's kept). */
  async function start(client: Client, browser: BrowserCookies) {
    const r = await client.call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url }, browser.headersFor('/v1/mcp/oauth/start'));
    browser.store(r.headers);
    return r;
  }

  /** A browser at the authorization server (it approves at once): the query of its redirect back to Harness. */
  async function consent(authorizationUrl: string): Promise<string> {
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${system.gatewayUrl}/v1/mcp/oauth/callback`);
    return location.search.slice(1);
  }

  /** The callback, opened by `browser` (its cookies for the path, if any). */
  async function callback(query: string, browser: BrowserCookies) {
    const path = `/v1/mcp/oauth/callback?${query}`;
    const res = await fetch(`${system.gatewayUrl}${path}`, { redirect: 'manual', headers: browser.headersFor(path) });
    return { status: res.status, contentType: res.headers.get('content-type'), html: await res.text() };
  }

  /** An honest user's whole flow from their own browser: start, consent, callback, status. */
  async function honestConnect(userId: string) {
    const client = await user(userId);
    const browser = new BrowserCookies();
    const started = await start(client, browser);
    expect(started.status).toBe(200);
    const page = await callback(await consent(started.body.authorizationUrl), browser);
    const status = (await client.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`)).body.status;
    return { page, status, nonce: started.body.nonce as string };
  }

  async function connectionsOf(userId: string): Promise<number> {
    const { rows } = await system.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM oauth_connections WHERE user_id = $1', [userId]);
    return Number(rows[0]!.n);
  }

  /** A refused callback: a 400 HTML page that says why and runs no script (posts nothing to any opener). */
  function expectRefusedPage(page: { status: number; contentType: string | null; html: string }, why: RegExp) {
    expect(page.status).toBe(400);
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.html).toContain('Could not connect your account');
    expect(page.html).toMatch(why);
    expect(page.html).not.toContain('<script');
  }

  it('a flow mallory started and sends to alice is refused in alice\'s browser (400, nothing stored, state spent) while carol connects', async () => {
    const mallory = await user('mallory');
    const malloryBrowser = new BrowserCookies();
    const aliceBrowser = new BrowserCookies();
    // alice has a binding cookie of her own (she started a flow once), mallory's other victim has none at all.
    expect((await start(await user('alice'), aliceBrowser)).status).toBe(200);
    const victims = [aliceBrowser, new BrowserCookies()];
    const exchanges = as.stats.tokenCalls.authorization_code;

    for (const victim of victims) {
      const lure = await start(mallory, malloryBrowser);
      expect(lure.status).toBe(200);
      // The victim opens mallory's link and consents at the authorization server, while carol connects her own account.
      const [query, carol] = await Promise.all([consent(lure.body.authorizationUrl), honestConnect(`carol-${victims.indexOf(victim)}`)]);
      const refused = await callback(query, victim);
      expectRefusedPage(refused, /not started in this browser/);
      // The state is spent: mallory's own browser cannot complete it afterwards either.
      expectRefusedPage(await callback(query, malloryBrowser), /already completed/);
      expect(carol.page.status).toBe(200);
      expect(carol.page.html).toContain(carol.nonce);
      expect(carol.status).toBe('connected');
    }
    // Only carol's two codes were exchanged; mallory got no connection, and neither did the victims.
    expect(as.stats.tokenCalls.authorization_code).toBe(exchanges + 2);
    expect(await connectionsOf('mallory')).toBe(0);
    expect(await connectionsOf('alice')).toBe(0);
    const status = await mallory.call('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(as.url)}`);
    expect(status.body).toEqual({ status: 'disconnected' });
  });

  it('a replayed state and a made-up state answer a 400 page that posts nothing', async () => {
    const dave = await user('dave');
    const browser = new BrowserCookies();
    const started = await start(dave, browser);
    const query = await consent(started.body.authorizationUrl);
    const first = await callback(query, browser);
    expect(first.status).toBe(200);
    expect(first.html).toContain(started.body.nonce);
    const exchanges = as.stats.tokenCalls.authorization_code;

    expectRefusedPage(await callback(query, browser), /already completed/);
    const madeUp = new URLSearchParams({ code: 'x', state: randomBytes(32).toString('base64url') }).toString();
    expectRefusedPage(await callback(madeUp, browser), /unknown/);
    expectRefusedPage(await callback(madeUp, new BrowserCookies()), /unknown/);
    expect(as.stats.tokenCalls.authorization_code).toBe(exchanges);
  });

  it('a binding cookie the gateway did not issue is not taken: start replaces it', async () => {
    const browser = new BrowserCookies();
    const planted = { cookie: 'harness_oauth_binding=planted-by-someone' };
    const r = await (await user('erin')).call('POST', '/v1/mcp/oauth/start', { serverUrl: as.url }, planted);
    expect(r.status).toBe(200);
    browser.store(r.headers);
    expect(browser.get('harness_oauth_binding')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it(`a flood of starts: at most ${MAX_PENDING} flows in flight per user, the rest 429 with Retry-After and no outbound request; others unaffected`, async () => {
    const flooder = await user('flooder');
    const probes = as.stats.unauthorized;
    const browsers = Array.from({ length: 8 }, () => new BrowserCookies());
    // Each from a "new browser" (no cookie to reuse a flow by), all at once, next to frank's honest flow.
    const [answers, frank] = await Promise.all([Promise.all(browsers.map((b) => start(flooder, b))), honestConnect('frank')]);

    const allowed = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    expect(allowed).toHaveLength(MAX_PENDING);
    expect(limited).toHaveLength(answers.length - MAX_PENDING);
    for (const r of limited) {
      expect(r.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/authorizations in progress/), details: { retryAfterSeconds: expect.any(Number) } });
      const retryAfter = r.body.error.details.retryAfterSeconds as number;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(STATE_TTL_SECONDS);
      expect(r.headers.get('retry-after')).toBe(String(retryAfter));
    }
    // Only the allowed starts (and frank's) went out to the MCP server: a refused start costs no outbound request.
    expect(as.stats.unauthorized - probes).toBe(MAX_PENDING + 1);
    expect(frank.page.status).toBe(200);
    expect(frank.status).toBe('connected');

    // At the cap, a browser with a flow in flight still gets it back (several popups), and completes it.
    const holder = browsers[answers.indexOf(allowed[0]!)]!;
    const again = await start(flooder, holder);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(allowed[0]!.body);
    const done = await callback(await consent(again.body.authorizationUrl), holder);
    expect(done.status).toBe(200);
    expect(await connectionsOf('flooder')).toBe(1);
    // That freed a place: a new browser may start again.
    expect((await start(flooder, new BrowserCookies())).status).toBe(200);
    expect((await start(flooder, new BrowserCookies())).status).toBe(429);
  });
});
