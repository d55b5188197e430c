import { DomainError } from '@harness/contracts';
import type { Authenticator } from '../auth/authenticate.js';
import { toHttpError } from '../http/error-mapping.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { writeHttpError } from '../http/write-error.js';
import type { AdminPolicy } from './admin-policy.js';
import { isAllowedBoardRequest } from './board-actions.js';

/** Where the queue board is served. */
export const ADMIN_QUEUES_PATH = '/admin/queues';

type Next = () => void;

/** Express's request, as seen inside a router mounted at ADMIN_QUEUES_PATH (`url` is relative to it). */
interface MountedRequest extends HttpRequest {
  originalUrl?: string;
}

/**
 * Admin users only, in front of everything under /admin/queues (page, assets, API, actions). The user is established
 * exactly as on /v1 (Authenticator): `Authorization: Bearer` (a JWT or an API key) or, from a browser, the admin's
 * `harness_session` cookie. The board's own script cannot send `X-Harness-Client`, so its cookie actions are checked
 * by Origin alone (it must be one of the app's origins; SameSite=Lax keeps the cookie off cross-site subrequests too).
 * No or a bad credential → 401, a user who is not an admin (AdminPolicy: id or verified e-mail) → 403, with the
 * gateway's error body. Then the board is read-only but for retry and clean (isAllowedBoardRequest): any other action
 * → 403 as well.
 */
export function adminOnly(authenticator: Authenticator, policy: AdminPolicy) {
  /** True when the request may go on to the board; otherwise the response has been written. */
  const authorize = async (req: MountedRequest): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const userId = await authenticator.authenticate(req, { requireClientHeader: false });
    const profile = req.credential?.kind === 'session' ? req.credential.user : undefined;
    await policy.requireAdmin(userId, 'the queue board', profile);
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
    authorize(req).then(
      (allowed) => (allowed ? next() : undefined),
      (err: unknown) => writeHttpError(res, toHttpError(err)),
    );
  };
}
