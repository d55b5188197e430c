import type { Config } from '@harness/config';
import { toHttpError } from '../http/error-mapping.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { writeHttpError } from '../http/write-error.js';
import type { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { authenticate } from './authenticate.js';

type Next = () => void;

/** Requests that may carry a body without a user token (each does its own authentication, or needs none). */
const SELF_AUTHENTICATED_PREFIXES = ['/admin/queues'];

/** Routes that need no user token (none takes a body: one sent anyway is drained unread, up to the body limit). */
export const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/oauth/client-metadata.json', '/v1/mcp/oauth/callback']);

const hasBody = (req: HttpRequest): boolean => {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
};

/**
 * Before a byte of a request body is read: a request that carries one (whatever its method) must carry a valid user token, else it is
 * answered 401 at once and its connection closed (nothing of the body is waited for nor buffered). So an anonymous
 * caller cannot make the gateway read and parse megabytes (the 16 MiB limit of `/v1/chat` is for signed-in users
 * only). The user id is kept on the request; the AuthGuard does not verify the token a second time.
 */
export function authenticateBeforeBody(config: Config, apiKeys: ApiKeyVerifier) {
  const secret = new TextEncoder().encode(config.jwtSecret);
  return (req: HttpRequest, res: HttpResponse, next: Next): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (!hasBody(req) || PUBLIC_PATHS.has(path) || SELF_AUTHENTICATED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return next();
    authenticate(req.headers.authorization, secret, apiKeys).then(
      (userId) => {
        req.userId = userId;
        next();
      },
      (err: unknown) => {
        res.setHeader('connection', 'close');
        writeHttpError(res, toHttpError(err));
      },
    );
  };
}
