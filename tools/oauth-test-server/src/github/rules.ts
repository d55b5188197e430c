// GitHub's documented rules and answers for OAuth apps, kept apart from the server so each is easy to check.
import { randomBytes } from 'node:crypto';

export const DOCS = 'https://docs.github.com';
const TOKEN_ERRORS = `${DOCS}/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/`;
const AUTHORIZE_ERRORS = `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/`;

/** The errors GitHub answers at /login/oauth/access_token, with its own descriptions and links. */
export const TOKEN_ERROR = {
  incorrect_client_credentials: {
    error_description: 'The client_id and/or client_secret passed are incorrect.',
    error_uri: `${TOKEN_ERRORS}#incorrect-client-credentials`,
  },
  redirect_uri_mismatch: {
    error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
    error_uri: `${AUTHORIZE_ERRORS}#redirect-uri-mismatch2`,
  },
  bad_verification_code: {
    error_description: 'The code passed is incorrect or expired.',
    error_uri: `${TOKEN_ERRORS}#bad-verification-code`,
  },
  unsupported_grant_type: {
    error_description: 'The grant type is not supported.',
    error_uri: `${TOKEN_ERRORS}#unsupported-grant-type`,
  },
} as const;
export type TokenErrorCode = keyof typeof TOKEN_ERROR;

/** The errors GitHub puts on the redirect from /login/oauth/authorize. */
export const AUTHORIZE_ERROR = {
  redirect_uri_mismatch: {
    error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
    error_uri: `${AUTHORIZE_ERRORS}#redirect-uri-mismatch`,
  },
  access_denied: {
    error_description: 'The user has denied your application access.',
    error_uri: `${AUTHORIZE_ERRORS}#access-denied`,
  },
  invalid_request: {
    error_description: 'Only the S256 code_challenge_method is supported.',
    error_uri: `${AUTHORIZE_ERRORS}`,
  },
} as const;
export type AuthorizeErrorCode = keyof typeof AUTHORIZE_ERROR;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * GitHub's rule for a `redirect_uri` against the app's one callback URL: same scheme; the host equal, or a subdomain
 * of it; the port equal, except for a loopback callback, where any port is accepted; the path equal to the
 * callback's, or below it.
 */
export function redirectUriAllowed(redirectUri: string, callbackUrl: string): boolean {
  const r = URL.parse(redirectUri);
  const c = URL.parse(callbackUrl);
  if (!r || !c || r.protocol !== c.protocol || r.username || r.password || r.hash) return false;
  const ipHost = /^[\d.]+$|^\[/.test(c.hostname);
  const hostOk = r.hostname === c.hostname || (!ipHost && r.hostname.endsWith(`.${c.hostname}`));
  const portOk = LOOPBACK_HOSTS.has(c.hostname) ? r.hostname === c.hostname : r.port === c.port;
  const base = c.pathname.endsWith('/') ? c.pathname : `${c.pathname}/`;
  const pathOk = r.pathname === c.pathname || r.pathname.startsWith(base);
  return hostOk && portOk && pathOk;
}

/** Requested scopes: GitHub takes them space- or comma-separated; unique, in order. */
export function parseScopes(scope: string | null | undefined): string[] {
  return [...new Set((scope ?? '').split(/[\s,]+/).filter((s) => s.length > 0))];
}

/** Whether a token's scopes let it read /user/emails (`user` includes `user:email`). */
export function canReadEmails(scopes: readonly string[]): boolean {
  return scopes.includes('user') || scopes.includes('user:email');
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `prefix` + 36 base62 characters: the shape of GitHub's OAuth tokens (`gho_…`, 40 characters). */
export function githubToken(prefix: string): string {
  const bytes = randomBytes(36);
  let out = prefix;
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

/** A 20-character hex code, as GitHub's authorization codes look. */
export function githubCode(): string {
  return randomBytes(10).toString('hex');
}

/**
 * The access token answer in the form the `Accept` header asks for: form-encoded by default, JSON for
 * `application/json`, XML for `application/xml` — GitHub's content negotiation, the same for errors (status 200).
 */
export function negotiate(accept: string | undefined): 'form' | 'json' | 'xml' {
  const a = (accept ?? '').toLowerCase();
  if (a.includes('application/json')) return 'json';
  if (a.includes('application/xml')) return 'xml';
  return 'form';
}

const xmlEscape = (v: string): string => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function encodeTokenAnswer(format: 'form' | 'json' | 'xml', fields: Record<string, string>): { contentType: string; body: string } {
  if (format === 'json') return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(fields) };
  if (format === 'xml') {
    const inner = Object.entries(fields).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
    return { contentType: 'application/xml; charset=utf-8', body: `<OAuth>${inner}</OAuth>` };
  }
  return { contentType: 'application/x-www-form-urlencoded; charset=utf-8', body: new URLSearchParams(fields).toString() };
}

/** The REST API's error body: `{message, documentation_url, status}`. */
export function apiError(status: number, message: string, documentationUrl = `${DOCS}/rest`): Record<string, string> {
  return { message, documentation_url: documentationUrl, status: String(status) };
}

export const USER_AGENT_REQUIRED =
  'Request forbidden by administrative rules. Please make sure your request has a User-Agent header ' +
  `(${DOCS}/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check ${DOCS} for other possible causes.\n`;
