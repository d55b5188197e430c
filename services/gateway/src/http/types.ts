import type { IncomingMessage, ServerResponse } from 'node:http';

/** The parts of Express's request the gateway uses (no @types/express in this workspace). */
export interface HttpRequest extends IncomingMessage {
  body?: unknown;
  correlationId: string;
  userId?: string;
  route?: { path: string };
  baseUrl?: string;
}
export type HttpResponse = ServerResponse;
