import type { HttpError } from './error-mapping.js';
import type { HttpResponse } from './types.js';
import { writeJson } from './write-json.js';

/** Writes an error response with Node's own API (usable before Nest, e.g. from the body reader). */
export function writeHttpError(res: HttpResponse, e: HttpError): void {
  // Once a stream has begun, the only way left to signal an error is to cut it.
  if (res.headersSent) res.destroy();
  else writeJson(res, e.status, e.body);
}
