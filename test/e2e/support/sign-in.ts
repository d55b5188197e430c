import { BrowserCookies } from './browser.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface Hop {
  url: string;
  status: number;
  location?: string;
}

/**
 * A browser, as far as signing in needs one: cookies per host (like a browser: not per port), redirects followed by
 * hand (each hop recorded, so a test can stop at the provider's redirect back and replay it), forms posted
 * form-encoded.
 */
export class Browser {
  private readonly jars = new Map<string, BrowserCookies>();
  readonly hops: Hop[] = [];

  private jar(url: URL): BrowserCookies {
    let jar = this.jars.get(url.hostname);
    if (!jar) this.jars.set(url.hostname, (jar = new BrowserCookies()));
    return jar;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar(new URL(url)).get(name);
  }

  /** One request with this browser's cookies (no redirect followed); keeps the cookies it sets. */
  async request(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const res = await fetch(target, { ...init, redirect: 'manual', headers: { ...this.jar(target).headersFor(target.pathname), ...init.headers } });
    this.jar(target).store(res.headers);
    this.hops.push({ url, status: res.status, location: res.headers.get('location') ?? undefined });
    return res;
  }

  /** Follows redirects (GET) from `res` until an answer that is not one, or until `stopBefore(nextUrl)` says so. */
  async follow(res: Response, from: string, stopBefore?: (next: URL) => boolean): Promise<{ res: Response; url: string }> {
    let current = res;
    let url = from;
    for (let i = 0; i < 20 && REDIRECTS.has(current.status); i++) {
      const next = new URL(current.headers.get('location')!, url);
      if (stopBefore?.(next)) return { res: current, url: next.href };
      await current.arrayBuffer();
      url = next.href;
      current = await this.request(url);
    }
    return { res: current, url };
  }

  async navigate(url: string, stopBefore?: (next: URL) => boolean): Promise<{ res: Response; url: string }> {
    return this.follow(await this.request(url), url, stopBefore);
  }

  /** Posts the page's form (its `action`, relative to the page) with `fields`, form-encoded, as a browser does. */
  async submitForm(pageUrl: string, html: string, fields: Record<string, string>, stopBefore?: (next: URL) => boolean) {
    const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
    if (action === undefined) throw new Error(`no form on ${pageUrl}: ${html.slice(0, 300)}`);
    const target = new URL(action.replace(/&amp;/g, '&'), pageUrl).href;
    const res = await this.request(target, {
      method: 'POST', body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(pageUrl).origin },
    });
    return this.follow(res, target, stopBefore);
  }
}

export interface SignIn {
  /** Where the browser ended: the gateway's answer to the callback, after its redirect to returnTo (not followed). */
  callback: Response;
  /** The provider's redirect back to the gateway (code and state), for replay tests. */
  callbackUrl: string;
}

/**
 * Signs `username` in through the dev IdP's page: GET /auth/login/dev, the provider's redirects to its page, the form
 * posted, and the redirect back to the gateway's callback, whose answer is returned (not followed further).
 */
export async function signInWithDevIdp(browser: Browser, gatewayUrl: string, username: string, returnTo?: string, providerId = 'dev'): Promise<SignIn> {
  const callbackUrl = await untilCallback(browser, gatewayUrl, username, returnTo, providerId);
  return { callback: await browser.request(callbackUrl), callbackUrl };
}

/** The same up to the provider's redirect back: its URL (code and state), not requested. */
export async function untilCallback(browser: Browser, gatewayUrl: string, username: string, returnTo?: string, providerId = 'dev'): Promise<string> {
  const start = `${gatewayUrl}/auth/login/${providerId}${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`;
  const isCallback = (u: URL) => u.href.startsWith(`${gatewayUrl}/auth/callback/`);
  let step = await browser.navigate(start, isCallback);
  if (!isCallback(new URL(step.url))) {
    const html = await step.res.text();
    if (step.res.status !== 200) throw new Error(`the sign-in page answered ${step.res.status} at ${step.url}: ${html.slice(0, 300)}`);
    step = await browser.submitForm(step.url, html, { username }, isCallback);
  }
  if (!isCallback(new URL(step.url))) throw new Error(`the provider did not redirect back (ended at ${step.url}, ${step.res.status})`);
  await step.res.arrayBuffer().catch(() => undefined);
  return step.url;
}
