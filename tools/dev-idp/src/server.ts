import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { isValidUsername, subjectFor, USERNAME_RULE } from './identity.js';
import { contentSecurityPolicy, errorPage, formTargetsOf, signInPage } from './pages.js';
import { BoundedAccounts, createProvider, type DevIdpClient } from './provider.js';

export type { DevIdpClient } from './provider.js';

export interface DevIdpOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Default: the listening URL, `http://host:port`. Give it (origin only, no path) when the tool sits behind a proxy. */
  issuer?: string;
  clients: DevIdpClient[];
}

export interface DevIdpHandle {
  issuer: string;
  /** Where it listens. */
  url: string;
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 4096;
const MAX_REMEMBERED_ACCOUNTS = 10_000;
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/;

class FormTooLarge extends Error {}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormTooLarge();
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function validateClients(clients: readonly DevIdpClient[]): void {
  if (!Array.isArray(clients) || clients.length === 0) throw new Error('dev-idp: at least one client is required');
  for (const c of clients) {
    if (!c.clientId || !Array.isArray(c.redirectUris) || c.redirectUris.length === 0) {
      throw new Error('dev-idp: every client needs a clientId and at least one redirect URI');
    }
    for (const uri of c.redirectUris) new URL(uri);
  }
}

function pathOf(requestUrl: string | undefined): string {
  return URL.parse(requestUrl ?? '/', 'http://localhost')?.pathname ?? '';
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startDevIdp(options: DevIdpOptions): Promise<DevIdpHandle> {
  validateClients(options.clients);
  if (options.issuer !== undefined && new URL(options.issuer).pathname !== '/') {
    throw new Error('dev-idp: the issuer must be an origin without a path');
  }
  const host = options.host ?? '127.0.0.1';
  const csp = contentSecurityPolicy(formTargetsOf(options.clients.flatMap((c) => c.redirectUris)));
  const accounts = new BoundedAccounts(MAX_REMEMBERED_ACCOUNTS);

  const sendPage = (res: ServerResponse, status: number, html: string): void => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(html);
  };
  const expired = (res: ServerResponse): void =>
    sendPage(res, 400, errorPage('Sign-in expired', 'This sign-in is unknown or has expired. Go back to the application and start again.'));

  async function interaction(provider: Provider, req: IncomingMessage, res: ServerResponse, uid: string, isLogin: boolean): Promise<void> {
    const method = req.method ?? 'GET';
    if (isLogin ? method !== 'POST' : method !== 'GET') {
      res.writeHead(405, { allow: isLogin ? 'POST' : 'GET' }).end();
      return;
    }
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      expired(res);
      return;
    }
    // The interaction cookie binds the browser to one uid: a page or form of another sign-in is refused.
    if (details.uid !== uid || details.prompt.name !== 'login') {
      expired(res);
      return;
    }
    const clientId = String(details.params.client_id);
    const action = `/interaction/${encodeURIComponent(uid)}/login`;
    if (!isLogin) {
      sendPage(res, 200, signInPage({ action, clientId }));
      return;
    }
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (e) {
      if (e instanceof FormTooLarge) sendPage(res, 413, errorPage('Form too large', 'The sign-in form is at most 4 KiB.'));
      else res.destroy();
      return;
    }
    const username = form.get('username') ?? '';
    if (!isValidUsername(username)) {
      sendPage(res, 400, signInPage({ action, clientId, username: username.slice(0, 64), error: `Enter a username of ${USERNAME_RULE}.` }));
      return;
    }
    const sub = subjectFor(username);
    accounts.remember(sub, username);
    await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  }

  // The issuer names the port, so the provider is made once the server listens; requests are taken from then on.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${hostForUrl(host)}:${(server.address() as AddressInfo).port}`;
  const issuer = options.issuer ?? url;
  const provider = createProvider(issuer.replace(/\/$/, ''), options.clients, accounts, csp);
  const providerCallback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = INTERACTION_PATH.exec(pathOf(req.url));
    if (!match) {
      void providerCallback(req, res);
      return;
    }
    interaction(provider, req, res, match[1], match[2] !== undefined).catch(() => {
      if (!res.headersSent) sendPage(res, 500, errorPage('Sign-in failed', 'An unexpected error; start again.'));
      else res.destroy();
    });
  });

  return {
    issuer: provider.issuer,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
