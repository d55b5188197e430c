import { toHttpError, type HttpError } from '../http/error-mapping.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { retryAfterSeconds, writeHttpError } from '../http/write-error.js';
import type { Authenticator } from './authenticate.js';

type Next = () => void;

/** Requests that may carry a body without a user token (each does its own authentication, or needs none). */
const SELF_AUTHENTICATED_PREFIXES = ['/admin/queues'];

/** Routes that need no user token (none takes a body: one sent anyway is drained unread, up to the body limit). */
export const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/oauth/client-metadata.json', '/v1/mcp/oauth/callback', '/v1/mcp/oauth/connected', '/v1/auth/providers']);
/** The sign-in flow's browser navigations (`/auth/login/…`, `/auth/callback/…`): public, and they take no body either. */
const PUBLIC_PREFIXES = ['/auth/login/', '/auth/callback/'];

/** The largest refused body read and dropped after the 401 (so the answer is not lost to a reset); larger ones close the connection. */
export const REFUSED_BODY_DRAIN_BYTES = 4 * 1024 * 1024;

function discardRefusedBody(req: HttpRequest, done: () => void): void {
  if (req.readableEnded) return done();
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > REFUSED_BODY_DRAIN_BYTES) req.destroy();
  });
  req.on('error', () => undefined);
  req.on('end', done);
  req.resume();
}

/** The error response, complete (its Content-Length is set) but not ended. */
function writeJsonHead(res: HttpResponse, error: HttpError): void {
  const json = JSON.stringify(error.body);
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter !== undefined) res.setHeader('retry-after', String(Math.max(1, retryAfter)));
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.write(json);
}

const hasBody = (req: HttpRequest): boolean => {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
};

/**
 * Before a byte of a request body is read: a request that carries one (whatever its method) must carry a valid user token (or session), else it is
 * answered 401 at once (nothing of the body is waited for nor buffered; a body of up to REFUSED_BODY_DRAIN_BYTES is then read and dropped, a larger or chunked one gets its connection closed). So an anonymous
 * caller cannot make the gateway read and parse megabytes (the 16 MiB limit of `/v1/chat` is for signed-in users
 * only). The user id is kept on the request; the AuthGuard does not verify the token a second time.
 */
export function authenticateBeforeBody(authenticator: Authenticator) {
  return (req: HttpRequest, res: HttpResponse, next: Next): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (!hasBody(req) || PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p))
      || SELF_AUTHENTICATED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return next();
    // A bearer, or the session cookie (with the CSRF check: a cross-site post is refused before its body is read).
    authenticator.authenticate(req).then(
      () => next(),
      (err: unknown) => {
        const error = toHttpError(err);
        const length = Number(req.headers['content-length']);
        if (!(Number.isFinite(length) && length <= REFUSED_BODY_DRAIN_BYTES)) {
          res.setHeader('connection', 'close');
          writeHttpError(res, error);
          return;
        }
        // Answered at once, but ended only once the body has been read and dropped (never buffered nor parsed): ended
        // earlier, Node closes a connection the client asked to close (`Connection: close`, e.g. Node's own client
        // without an agent) with the body still unread, the kernel resets it, and the client loses the 401 (EPIPE).
        writeJsonHead(res, error);
        discardRefusedBody(req, () => res.end());
      },
    );
  };
}
