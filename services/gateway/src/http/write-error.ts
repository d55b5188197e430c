import type { HttpError } from './error-mapping.js';
import type { HttpResponse } from './types.js';

/** Writes an error response with Node's own API (usable before Nest, e.g. from the body reader). */
export function writeHttpError(res: HttpResponse, e: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const json = JSON.stringify(e.body);
  res.statusCode = e.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.end(json);
}
