import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Credential } from '../auth/authenticate.js';

/** The parts of Express's request the gateway uses (no @types/express in this workspace). */
export interface HttpRequest extends IncomingMessage {
  body?: unknown;
  correlationId: string;
  userId?: string;
  /** How userId was established (set with it). */
  credential?: Credential;
  route?: { path: string };
  baseUrl?: string;
}
export type HttpResponse = ServerResponse;
