import type { HttpError } from './error-mapping.js';
import type { HttpResponse } from './types.js';
import { writeJson } from './write-json.js';

/** Seconds to wait before trying again, when the error says so (`details.retryAfterSeconds`: rate limits, caps). */
export function retryAfterSeconds(e: HttpError): number | undefined {
  const details = e.body.error.details;
  const value = typeof details === 'object' && details !== null ? (details as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.ceil(value) : undefined;
}

/**
 * Writes an error response with Node's own API (usable before Nest, e.g. from the body reader). A 429/503 whose details
 * carry `retryAfterSeconds` gets the `Retry-After` header.
 */
export function writeHttpError(res: HttpResponse, e: HttpError): void {
  // Once a stream has begun, the only way left to signal an error is to cut it.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = retryAfterSeconds(e);
  if (retryAfter !== undefined) res.setHeader('retry-after', String(Math.max(1, retryAfter)));
  writeJson(res, e.status, e.body);
}
