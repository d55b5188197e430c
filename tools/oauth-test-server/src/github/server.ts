import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorizePage, notFoundPage, pageCsp } from './page.js';
import {
  apiError,
  AUTHORIZE_ERROR,
  canReadEmails,
  DOCS,
  encodeTokenAnswer,
  githubCode,
  githubToken,
  negotiate,
  parseScopes,
  redirectUriAllowed,
  TOKEN_ERROR,
  USER_AGENT_REQUIRED,
  type AuthorizeErrorCode,
  type TokenErrorCode,
} from './rules.js';

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  /** GitHub gives 'public' or 'private' for the primary address and null for the others. Default so. */
  visibility?: 'public' | 'private' | null;
}

export interface GitHubUser {
  /** A number, as GitHub's ids are. */
  id: number;
  login: string;
  name?: string | null;
  /** The public profile e-mail `/user` shows; null (the default) when the person keeps it private. */
  email?: string | null;
  /** Default `<url>/avatars/u/<id>?v=4`. */
  avatarUrl?: string;
  /** What `/user/emails` lists. Default: `email`, primary and verified, when it is set; else none. */
  emails?: GitHubEmail[];
}

/** A classic OAuth app: GitHub gives each one callback URL. */
export interface GitHubOAuthApp {
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  /** Shown on the consent page. Default the client id. */
  name?: string;
}

export interface GitHubLikeKnobs {
  /** 'auto' redirects at once; 'page' shows a consent page with the buttons "Authorize <app>" and "Cancel". Default 'auto'. */
  approval: 'auto' | 'page';
  /** The login of the person signed in to the server's "web site" (a `login` parameter naming a known user wins). Default the first user. */
  signedInAs: string;
  /** The person refuses: the redirect carries `error=access_denied`. Default false. */
  denyAuthorization: boolean;
}

export interface GitHubLikeOptions extends Partial<GitHubLikeKnobs> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where the REST API is served on the same server: `apiUrl` = `url` + this. Default '/api'; '' serves it at the root. */
  apiPrefix?: string;
  users: GitHubUser[];
  clients: GitHubOAuthApp[];
  /** Authorization code lifetime. Default 10 minutes, as GitHub's. */
  codeTtlMs?: number;
}

export interface GitHubAuthorizeRecord {
  clientId: string | null;
  redirectUri: string | null;
  scope: string | null;
  state: string | null;
  login: string | null;
  outcome: 'code' | 'page' | 'error-redirect' | 'not-found';
  error?: string;
}

export interface GitHubTokenRecord {
  clientId: string | undefined;
  authMethod: 'basic' | 'post' | 'none';
  format: 'form' | 'json' | 'xml';
  /** 'ok' or the error code answered. */
  outcome: 'ok' | TokenErrorCode;
}

export interface GitHubApiRecord {
  method: string;
  path: string;
  scheme: 'bearer' | 'token' | 'none' | 'other';
  status: number;
}

export interface GitHubIssuedToken {
  token: string;
  login: string;
  clientId: string;
  scopes: string[];
  revoked: boolean;
}

export interface GitHubLikeHandle {
  /** The web host: `http://127.0.0.1:PORT` (authorization and token endpoints under `/login/oauth/`). */
  url: string;
  /** The REST API base: `url` + `apiPrefix`. */
  apiUrl: string;
  endpoints: { authorization: string; token: string; user: string; emails: string };
  knobs: GitHubLikeKnobs;
  stats: { authorizeRequests: GitHubAuthorizeRecord[]; tokenRequests: GitHubTokenRecord[]; apiRequests: GitHubApiRecord[] };
  /** Every access token issued, oldest first (at most the last 10 000). */
  issuedTokens(): GitHubIssuedToken[];
  /** Revokes every token (the person revoked the app): the API answers 401 "Bad credentials". */
  revokeAllTokens(): void;
  close(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  login: string;
  scopes: string[];
  redirectUri: string;
  codeChallenge: string | undefined;
  expiresAt: number;
}
interface PendingAuthorization {
  app: GitHubOAuthApp;
  login: string;
  scopes: string[];
  redirectUri: string;
  state: string | null;
  codeChallenge: string | undefined;
}

const MAX_BODY_BYTES = 64 * 1024;
const MAX_ENTRIES = 10_000;
const MAX_RECORDS = 1_000;

class BodyTooLarge extends Error {}

/** Insertion-ordered map that forgets its oldest entries past `max`. */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}
function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_RECORDS) list.splice(0, list.length - MAX_RECORDS);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The token endpoint's parameters: the query string, then the body (form or JSON) over it, as GitHub accepts both. */
async function tokenParams(req: IncomingMessage, url: URL): Promise<Map<string, string>> {
  const params = new Map<string, string>(url.searchParams);
  const raw = await readBody(req);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = {};
    }
    if (body && typeof body === 'object') {
      for (const [k, v] of Object.entries(body)) if (typeof v === 'string') params.set(k, v);
    }
  } else {
    for (const [k, v] of new URLSearchParams(raw)) params.set(k, v);
  }
  return params;
}

function decodeBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header ? /^Basic\s+(\S+)$/i.exec(header.trim()) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

function validate(opts: GitHubLikeOptions): void {
  if (!Array.isArray(opts.users) || opts.users.length === 0) throw new Error('github-like: at least one user is required');
  if (!Array.isArray(opts.clients) || opts.clients.length === 0) throw new Error('github-like: at least one client is required');
  for (const u of opts.users) {
    if (!Number.isSafeInteger(u.id) || u.id <= 0 || !u.login) throw new Error('github-like: every user needs a positive integer id and a login');
  }
  for (const c of opts.clients) {
    if (!c.clientId || !c.clientSecret) throw new Error('github-like: every client needs a clientId and a clientSecret');
    new URL(c.callbackUrl);
  }
  const prefix = opts.apiPrefix ?? '/api';
  if (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/') || prefix.startsWith('/login'))) {
    throw new Error("github-like: apiPrefix is '' or a path like /api (no trailing slash, not under /login)");
  }
}

/**
 * A GitHub-shaped server for a classic OAuth app: the web flow at `/login/oauth/authorize` and
 * `/login/oauth/access_token`, and the REST API's `/user` and `/user/emails` under `apiPrefix`, answering as GitHub
 * does (content negotiation, errors with status 200, single-use 10-minute codes, scope-gated e-mails).
 */
export async function startGitHubLike(opts: GitHubLikeOptions): Promise<GitHubLikeHandle> {
  validate(opts);
  const host = opts.host ?? '127.0.0.1';
  const apiPrefix = opts.apiPrefix ?? '/api';
  const codeTtlMs = opts.codeTtlMs ?? 600_000;
  const users = new Map(opts.users.map((u) => [u.login, u]));
  const apps = new Map(opts.clients.map((c) => [c.clientId, c]));
  const knobs: GitHubLikeKnobs = {
    approval: opts.approval ?? 'auto',
    signedInAs: opts.signedInAs ?? opts.users[0]!.login,
    denyAuthorization: opts.denyAuthorization ?? false,
  };
  const stats: GitHubLikeHandle['stats'] = { authorizeRequests: [], tokenRequests: [], apiRequests: [] };
  const codes = new Map<string, PendingCode>();
  const pending = new Map<string, PendingAuthorization>();
  const tokens = new Map<string, GitHubIssuedToken>();

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  const apiUrl = `${url}${apiPrefix}`;

  const sendHtml = (res: ServerResponse, status: number, html: string, formTarget?: string): void => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pageCsp(formTarget), 'cache-control': 'no-store' });
    res.end(html);
  };
  const redirect = (res: ServerResponse, target: string, params: Record<string, string | null>): void => {
    const to = new URL(target);
    for (const [k, v] of Object.entries(params)) if (v !== null) to.searchParams.set(k, v);
    res.writeHead(302, { location: to.toString(), 'cache-control': 'no-store' }).end();
  };
  const errorRedirect = (res: ServerResponse, target: string, error: AuthorizeErrorCode, state: string | null): void =>
    redirect(res, target, { error, ...AUTHORIZE_ERROR[error], state });

  function finishAuthorization(res: ServerResponse, p: PendingAuthorization, approved: boolean): void {
    if (!approved) return errorRedirect(res, p.redirectUri, 'access_denied', p.state);
    const code = githubCode();
    boundedSet(codes, code, {
      clientId: p.app.clientId,
      login: p.login,
      scopes: p.scopes,
      redirectUri: p.redirectUri,
      codeChallenge: p.codeChallenge,
      expiresAt: Date.now() + codeTtlMs,
    }, MAX_ENTRIES);
    redirect(res, p.redirectUri, { code, state: p.state });
  }

  async function authorize(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const id = form.get('authorization_id') ?? '';
      const p = pending.get(id);
      pending.delete(id);
      if (!p) return sendHtml(res, 404, notFoundPage());
      return finishAuthorization(res, p, form.get('decision') === 'approve');
    }
    if (req.method !== 'GET') return sendHtml(res, 404, notFoundPage());
    const rec: GitHubAuthorizeRecord = {
      clientId: q.get('client_id'),
      redirectUri: q.get('redirect_uri'),
      scope: q.get('scope'),
      state: q.get('state'),
      login: q.get('login'),
      outcome: 'not-found',
    };
    record(stats.authorizeRequests, rec);
    const app = apps.get(q.get('client_id') ?? '');
    if (!app) return sendHtml(res, 404, notFoundPage());
    const given = q.get('redirect_uri');
    if (given !== null && !redirectUriAllowed(given, app.callbackUrl)) {
      Object.assign(rec, { outcome: 'error-redirect', error: 'redirect_uri_mismatch' });
      return errorRedirect(res, app.callbackUrl, 'redirect_uri_mismatch', rec.state);
    }
    const redirectUri = given ?? app.callbackUrl;
    const challenge = q.get('code_challenge');
    if (challenge !== null && q.get('code_challenge_method') !== 'S256') {
      Object.assign(rec, { outcome: 'error-redirect', error: 'invalid_request' });
      return errorRedirect(res, redirectUri, 'invalid_request', rec.state);
    }
    const hinted = q.get('login');
    const login = hinted !== null && users.has(hinted) ? hinted : knobs.signedInAs;
    if (!users.has(login)) throw new Error(`github-like: signedInAs names no user: ${login}`);
    const p: PendingAuthorization = { app, login, scopes: parseScopes(q.get('scope')), redirectUri, state: rec.state, codeChallenge: challenge ?? undefined };
    if (knobs.denyAuthorization) {
      Object.assign(rec, { outcome: 'error-redirect', error: 'access_denied' });
      return finishAuthorization(res, p, false);
    }
    if (knobs.approval === 'page') {
      const id = githubCode();
      boundedSet(pending, id, p, MAX_ENTRIES);
      rec.outcome = 'page';
      return sendHtml(res, 200, authorizePage({ appName: app.name ?? app.clientId, login, scopes: p.scopes, authorizationId: id, action: '/login/oauth/authorize' }), redirectUri);
    }
    rec.outcome = 'code';
    finishAuthorization(res, p, true);
  }

  async function accessToken(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const params = await tokenParams(req, url);
    const format = negotiate(req.headers.accept);
    const basic = decodeBasic(req.headers.authorization);
    const clientId = basic?.id ?? params.get('client_id');
    const secret = basic?.secret ?? params.get('client_secret');
    const rec: GitHubTokenRecord = { clientId, authMethod: basic ? 'basic' : secret !== undefined ? 'post' : 'none', format, outcome: 'ok' };
    record(stats.tokenRequests, rec);
    const answer = (fields: Record<string, string>): void => {
      const { contentType, body } = encodeTokenAnswer(format, fields);
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
    };
    const fail = (error: TokenErrorCode): void => {
      rec.outcome = error;
      answer({ error, ...TOKEN_ERROR[error] });
    };

    const app = apps.get(clientId ?? '');
    if (!app || secret === undefined || !safeEqual(secret, app.clientSecret)) return fail('incorrect_client_credentials');
    const grantType = params.get('grant_type');
    if (grantType !== undefined && grantType !== 'authorization_code') return fail('unsupported_grant_type');
    const code = params.get('code') ?? '';
    const entry = codes.get(code);
    codes.delete(code); // single use: whatever happens next, this code is spent
    if (!entry || entry.clientId !== app.clientId || entry.expiresAt <= Date.now()) return fail('bad_verification_code');
    const redirectUri = params.get('redirect_uri');
    if (redirectUri !== undefined && (!redirectUriAllowed(redirectUri, app.callbackUrl) || redirectUri !== entry.redirectUri)) {
      return fail('redirect_uri_mismatch');
    }
    if (entry.codeChallenge !== undefined) {
      const verifier = params.get('code_verifier') ?? '';
      if (!safeEqual(createHash('sha256').update(verifier).digest('base64url'), entry.codeChallenge)) return fail('bad_verification_code');
    }
    const token = githubToken('gho_');
    boundedSet(tokens, token, { token, login: entry.login, clientId: app.clientId, scopes: entry.scopes, revoked: false }, MAX_ENTRIES);
    answer({ access_token: token, token_type: 'bearer', scope: entry.scopes.join(',') });
  }

  function profile(user: GitHubUser): Record<string, unknown> {
    return {
      login: user.login,
      id: user.id,
      node_id: `U_${Buffer.from(`user:${user.id}`).toString('base64url')}`,
      avatar_url: user.avatarUrl ?? `${url}/avatars/u/${user.id}?v=4`,
      gravatar_id: '',
      url: `${apiUrl}/users/${user.login}`,
      html_url: `${url}/${user.login}`,
      type: 'User',
      site_admin: false,
      name: user.name ?? null,
      company: null,
      blog: '',
      location: null,
      email: user.email ?? null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2020-01-01T00:00:00Z',
    };
  }

  function emailsOf(user: GitHubUser): Required<GitHubEmail>[] {
    const list = user.emails ?? (user.email ? [{ email: user.email, primary: true, verified: true }] : []);
    return list.map((e) => ({ email: e.email, primary: e.primary, verified: e.verified, visibility: e.visibility !== undefined ? e.visibility : e.primary ? 'public' : null }));
  }

  function api(req: IncomingMessage, res: ServerResponse, path: string): void {
    const authorization = req.headers.authorization ?? '';
    const m = /^(bearer|token)\s+(\S+)$/i.exec(authorization.trim());
    const rec: GitHubApiRecord = { method: req.method ?? 'GET', path, scheme: m ? (m[1]!.toLowerCase() as 'bearer' | 'token') : authorization ? 'other' : 'none', status: 200 };
    record(stats.apiRequests, rec);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (!req.headers['user-agent']) {
      rec.status = 403;
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(USER_AGENT_REQUIRED);
      return;
    }
    const known = path === '/user' || path === '/user/emails';
    if (!known || req.method !== 'GET') return json(404, apiError(404, 'Not Found'));
    const docs = path === '/user' ? `${DOCS}/rest/users/users#get-the-authenticated-user` : `${DOCS}/rest/users/emails#list-email-addresses-for-the-authenticated-user`;
    if (!authorization) return json(401, apiError(401, 'Requires authentication', docs));
    const issued = m ? tokens.get(m[2]!) : undefined;
    const user = issued && !issued.revoked ? users.get(issued.login) : undefined;
    if (!issued || !user) return json(401, apiError(401, 'Bad credentials'));
    const scopeHeaders = { 'x-oauth-scopes': issued.scopes.join(', ') };
    if (path === '/user') return json(200, profile(user), { ...scopeHeaders, 'x-accepted-oauth-scopes': '' });
    const accepted = { ...scopeHeaders, 'x-accepted-oauth-scopes': 'user, user:email' };
    // GitHub hides the endpoint from a token without the scope: 404, not 403.
    if (!canReadEmails(issued.scopes)) return json(404, apiError(404, 'Not Found', docs), accepted);
    json(200, emailsOf(user), accepted);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const reqUrl = new URL(req.url ?? '/', url);
    const path = reqUrl.pathname;
    const work = async (): Promise<void> => {
      if (path === '/login/oauth/authorize') return authorize(req, res, reqUrl.searchParams);
      if (path === '/login/oauth/access_token') {
        if (req.method !== 'POST') return sendHtml(res, 404, notFoundPage());
        return accessToken(req, res, reqUrl);
      }
      if (apiPrefix === '' || path === apiPrefix || path.startsWith(`${apiPrefix}/`)) return api(req, res, path.slice(apiPrefix.length) || '/');
      sendHtml(res, 404, notFoundPage());
    };
    work().catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof BodyTooLarge) res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large');
      else res.writeHead(500, { 'content-type': 'text/plain' }).end(`github-like: ${(e as Error)?.message ?? String(e)}`);
    });
  });

  return {
    url,
    apiUrl,
    endpoints: {
      authorization: `${url}/login/oauth/authorize`,
      token: `${url}/login/oauth/access_token`,
      user: `${apiUrl}/user`,
      emails: `${apiUrl}/user/emails`,
    },
    knobs,
    stats,
    issuedTokens: () => [...tokens.values()].map((t) => ({ ...t, scopes: [...t.scopes] })),
    revokeAllTokens: () => {
      for (const t of tokens.values()) t.revoked = true;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
