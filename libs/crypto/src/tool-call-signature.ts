import { createHmac, timingSafeEqual } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';

/** What chat signs of an MCP tool call, and the mcp-broker's worker checks before it runs anything. */
export interface SignedToolCall {
  userId: string;
  harnessId: string;
  toolCallId: string;
  name: string;
  input: unknown;
  timeoutMs?: number | undefined;
  /** When chat signed it (ms since the epoch): a signed call is good for a limited time only (no replay later). */
  signedAt: number;
  /** The conversation of the run making the call; absent in calls signed before it was added (then not in the canonical form). */
  conversationId?: string | undefined;
}

const VERSION = 'v1';

/**
 * The call's fields in a canonical form (object keys sorted at every depth, JSON otherwise), so the signature survives
 * NATS and Redis round trips that reorder nothing but could re-serialize. An absent input or timeout is `null`.
 */
function canonical(call: SignedToolCall): string {
  return stringify([VERSION, call.userId, call.harnessId, call.toolCallId, call.name, call.input ?? null, call.timeoutMs ?? null, call.signedAt, ...(call.conversationId !== undefined ? [call.conversationId] : [])]) ?? '';
}

/** `v1.<HMAC-SHA256 of the canonical call, base64url>`. */
export function signToolCall(key: Buffer, call: SignedToolCall): string {
  return `${VERSION}.${createHmac('sha256', key).update(canonical(call)).digest('base64url')}`;
}

/** True when `signature` is the key's signature of exactly this call (compared in constant time). */
export function verifyToolCall(key: Buffer, call: SignedToolCall, signature: unknown): boolean {
  if (typeof signature !== 'string') return false;
  const expected = Buffer.from(signToolCall(key, call));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
