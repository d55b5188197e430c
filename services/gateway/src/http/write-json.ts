import type { HttpResponse } from './types.js';

/** A JSON answer written directly (for routes that own their response because they may stream instead). */
export function writeJson(res: HttpResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.end(json);
}
