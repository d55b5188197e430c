import { decodeJwt } from 'jose';
import type { Config } from '@harness/config';
import { DomainError } from '@harness/contracts';
import { verifyUserToken } from '../auth/verify-token.js';
import { toHttpError } from '../http/error-mapping.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { writeHttpError } from '../http/write-error.js';
import { isAllowedBoardRequest } from './board-actions.js';

/** Where the queue board is served. */
export const ADMIN_QUEUES_PATH = '/admin/queues';
/** The cookie that carries the admin's token for the board's own page, asset and API requests. */
export const ADMIN_COOKIE = 'harness_admin_token';

type Next = () => void;

/** Express's request, as seen inside a router mounted at ADMIN_QUEUES_PATH (`url` is relative to it). */
interface MountedRequest extends HttpRequest {
  originalUrl?: string;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/**
 * Admin users only, in front of everything under /admin/queues (page, assets, API, actions). The token is verified
 * exactly as on /v1 (verifyUserToken); its user id must be in HARNESS_ADMIN_USERS. It is taken from, in order:
 *   1. `?token=` on GET /admin/queues itself (a browser cannot send a header when navigating): an admin's token is put
 *      in an HttpOnly, SameSite=Strict cookie with Path=/admin/queues (Secure when PUBLIC_URL is https), living as long
 *      as the token, and the browser is redirected (303) to the same address without the token;
 *   2. `Authorization: Bearer <token>`;
 *   3. that cookie (cleared when its token no longer verifies).
 * No or a bad token → 401, a valid token of a user who is not an admin → 403, with the gateway's error body. Then the
 * board is read-only but for retry and clean (isAllowedBoardRequest): any other action → 403 as well.
 * The request log keeps only the path (never the query string), so the token never reaches a log line.
 */
export function adminOnly(config: Config) {
  const secret = new TextEncoder().encode(config.jwtSecret);
  const admins = new Set(config.gateway.adminUsers);
  const secure = new URL(config.gateway.publicUrl).protocol === 'https:' ? '; Secure' : '';
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${ADMIN_COOKIE}=${value}; Path=${ADMIN_QUEUES_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;

  const requireAdmin = (req: HttpRequest, userId: string) => {
    req.userId = userId;
    if (!admins.has(userId)) throw new DomainError('forbidden', 'the queue board is for admin users only');
  };

  /** True when the request may go on to the board; otherwise the response has been written. */
  const authorize = async (req: MountedRequest, res: HttpResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      requireAdmin(req, await verifyUserToken(`Bearer ${queryToken}`, secret));
      const { exp } = decodeJwt(queryToken);
      const maxAge = Math.max(0, Math.floor((exp ?? 0) - Date.now() / 1000));
      url.searchParams.delete('token');
      res.statusCode = 303;
      res.setHeader('set-cookie', cookie(queryToken, maxAge));
      res.setHeader('location', `${ADMIN_QUEUES_PATH}${url.search}`);
      res.setHeader('cache-control', 'no-store');
      res.setHeader('referrer-policy', 'no-referrer');
      res.end();
      return false;
    }
    const authorization = req.headers.authorization;
    const fromCookie = authorization === undefined ? readCookie(req.headers.cookie, ADMIN_COOKIE) : undefined;
    if (authorization === undefined && fromCookie === undefined) {
      throw new DomainError('unauthorized', `a bearer token is required (or open ${ADMIN_QUEUES_PATH}?token=<token> once)`);
    }
    let userId: string;
    try {
      userId = await verifyUserToken(authorization ?? `Bearer ${fromCookie}`, secret);
    } catch (err) {
      if (fromCookie !== undefined) res.setHeader('set-cookie', cookie('', 0));
      throw err;
    }
    requireAdmin(req, userId);
    if (!isAllowedBoardRequest(req.method, url.pathname)) {
      throw new DomainError('forbidden', 'the queue board is read-only: of its actions only retry and clean are allowed', {
        method: req.method, path: `${ADMIN_QUEUES_PATH}${url.pathname}`,
      });
    }
    return true;
  };

  return (req: MountedRequest, res: HttpResponse, next: Next): void => {
    // Before the access log line and the duration histogram read them: the full path (inside this mount Express strips
    // the prefix from req.url), and one route label for what no single board route matched (assets, refusals, the page).
    const fullUrl = req.originalUrl;
    res.prependListener('close', () => {
      if (fullUrl) req.url = fullUrl;
      if (typeof req.route?.path !== 'string') {
        req.baseUrl = ADMIN_QUEUES_PATH;
        req.route = { path: '/*' };
      }
    });
    authorize(req, res).then(
      (allowed) => (allowed ? next() : undefined),
      (err: unknown) => writeHttpError(res, toHttpError(err)),
    );
  };
}
