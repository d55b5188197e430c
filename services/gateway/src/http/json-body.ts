import { DomainError } from '@harness/contracts';
import { toHttpError } from './error-mapping.js';
import type { HttpRequest, HttpResponse } from './types.js';
import { writeHttpError } from './write-error.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

const isJson = (contentType: string) => {
  const media = contentType.split(';')[0].trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
};
const charsetOf = (contentType: string) => /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();

type Next = () => void;

/**
 * A body on a method that takes none (GET, DELETE, ...) is read and dropped before the request goes on. Answered first,
 * the connection could be closed with bytes of the body still unread, and the kernel then resets it: the client loses
 * the answer. Past `drainLimit` bytes the connection is dropped instead.
 */
function discardBody(req: HttpRequest, drainLimit: number, next: Next): void {
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > drainLimit) req.destroy();
  });
  req.on('error', () => undefined);
  req.on('end', next);
}

/**
 * The JSON body reader (instead of Express's, for exact errors): a body over 1 MiB is 413 payload_too_large,
 * malformed JSON is 400 invalid_json, and a POST/PUT/PATCH body that is not JSON is 415 unsupported_media_type. Other
 * methods' bodies are read and dropped.
 */
export function jsonBody(limitFor: (req: HttpRequest) => number = () => MAX_BODY_BYTES) {
  return (req: HttpRequest, res: HttpResponse, next: Next): void => {
    const limit = limitFor(req);
    // Past this much, an oversized body is no longer drained: the connection is dropped.
    const drainLimit = 16 * limit;
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return next();
    // Reaching here without a user means a public route (authenticateBeforeBody stopped the rest): its body is drained
    // too, unbuffered, so the answer is not lost to a reset.
    if (!METHODS_WITH_BODY.has(req.method ?? '')) return discardBody(req, drainLimit, next);
    const fail = (err: DomainError) => writeHttpError(res, toHttpError(err));

    const contentType = req.headers['content-type'] ?? '';
    if (!isJson(contentType)) return fail(new DomainError('unsupported_media_type', 'the request body must be application/json'));
    const charset = charsetOf(contentType);
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return fail(new DomainError('unsupported_media_type', `unsupported charset ${charset}`));
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return fail(new DomainError('unsupported_media_type', `unsupported content-encoding ${encoding}`));

    const tooLarge = () => new DomainError('payload_too_large', `the request body must be at most ${limit} bytes`, { limitBytes: limit });
    if (length !== undefined && Number(length) > limit) {
      // Answer at once: Node reads and discards the unread body, which keeps the connection usable; a huge one is not
      // worth reading, that connection is closed instead.
      if (Number(length) > drainLimit) res.setHeader('connection', 'close');
      return fail(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainLimit) return req.destroy();
      if (over) return;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (over) return fail(tooLarge());
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return next();
      try {
        req.body = JSON.parse(text);
      } catch {
        return fail(new DomainError('invalid_json', 'the request body is not valid JSON'));
      }
      next();
    });
  };
}
