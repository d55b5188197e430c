import { z } from 'zod';
import { ErrorBody } from './errors.js';

export const UserId = z.string().regex(/^[A-Za-z0-9._@-]{1,128}$/, 'user id must be 1..128 of [A-Za-z0-9._@-]');
export const Uuid = z.uuid();
export const MAX_CONTENT_CHARS = 100_000;

/**
 * Text the chat service stores inside JSON events (Postgres jsonb): no U+0000, and no unpaired UTF-16 surrogate (JSON
 * carries one as a `\ud800` escape, which jsonb refuses as invalid input).
 */
export const isStorableInJson = (s: string): boolean => !s.includes('\u0000') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
export const NOT_STORABLE_IN_JSON = 'must not contain NUL characters (U+0000) or unpaired surrogates';

/**
 * JSON that jsonb accepts. It refuses the escape \u0000 (NUL) and the escape of an unpaired UTF-16 surrogate, both of
 * which JSON.stringify writes (for U+0000, and for a lone half of a surrogate pair — whole pairs it writes as they
 * are) when a string holds one: an MCP tool output, an LLM delta cut mid-character. Each is stored as U+FFFD;
 * everything else is unchanged. (An escaped backslash before `u` is text, not an escape: the parity group keeps it.)
 */
export const storableJson = (value: unknown): string => {
  const json = JSON.stringify(value);
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : json;
};
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

const base = { userId: UserId, conversationId: Uuid, correlationId: z.string().max(200).optional() };

export const SendMessageCommand = z.object({
  ...base,
  content: z.string().min(1).max(MAX_CONTENT_CHARS).refine(isStorableInJson, `content ${NOT_STORABLE_IN_JSON}`),
  clientMessageId: z.string().min(1).max(200).refine(isStorableInJson, `clientMessageId ${NOT_STORABLE_IN_JSON}`).optional(),
});
export type SendMessageCommand = z.infer<typeof SendMessageCommand>;
export const SendMessageResult = z.object({
  messageId: z.string(),
  status: z.enum(['started', 'queued']),
  runId: z.string().optional(),
  queueItemId: z.string().optional(),
  /** Seq of the event that recorded the message: its `data-message` when started, its `data-queue` when queued. */
  seq: z.number().int().positive(),
  /** The answer to an earlier send with the same clientMessageId: nothing new was stored. */
  replayed: z.literal(true).optional(),
});
export type SendMessageResult = z.infer<typeof SendMessageResult>;

export const InterruptCommand = z.object(base);
export type InterruptCommand = z.infer<typeof InterruptCommand>;
export const InterruptResult = z.object({ runId: z.string().nullable() });
export type InterruptResult = z.infer<typeof InterruptResult>;

export const RemoveQueueItemCommand = z.object({ ...base, itemId: Uuid });
export type RemoveQueueItemCommand = z.infer<typeof RemoveQueueItemCommand>;
export const RemoveQueueItemResult = z.object({ removed: z.literal(true) });

export const SendNowCommand = z.object({ ...base, itemId: Uuid });
export type SendNowCommand = z.infer<typeof SendNowCommand>;
export const SendNowResult = z.object({ interruptedRunId: z.string().nullable() });
export type SendNowResult = z.infer<typeof SendNowResult>;

export const RegenerateCommand = z.object({ ...base, messageId: Uuid });
export type RegenerateCommand = z.infer<typeof RegenerateCommand>;
export const RegenerateResult = z.object({ runId: z.string(), seq: z.number().int().positive() });
export type RegenerateResult = z.infer<typeof RegenerateResult>;

export const DeleteConversationCommand = z.object(base);
export type DeleteConversationCommand = z.infer<typeof DeleteConversationCommand>;
export const DeleteConversationResult = z.object({ deleted: z.literal(true) });

/** The MCP broker: the tools of a harness's MCP servers, for one user. */
export const ListToolsCommand = z.object({ userId: UserId, harnessId: Uuid, correlationId: z.string().max(200).optional() });
export type ListToolsCommand = z.infer<typeof ListToolsCommand>;
export const McpToolItem = z.object({
  /** Unique, provider-valid name (prefixed with the server when names collide). */
  name: z.string(),
  /** The tool's name on its server. */
  originalName: z.string(),
  serverId: z.string(),
  /** '' when the server gives none. */
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
});
export type McpToolItem = z.infer<typeof McpToolItem>;
/**
 * The user must connect (or reconnect, or grant more scopes to) their account on an OAuth MCP server: where to do it.
 * Connections belong to (user, server URL), not to one harness.
 */
export const McpAuthRequired = z.object({ serverUrl: z.string(), authorizationUrl: z.string().optional() });
export type McpAuthRequired = z.infer<typeof McpAuthRequired>;
export const McpServerListError = z.object({
  serverId: z.string(),
  serverName: z.string(),
  message: z.string(),
  /** Set when the server could not be listed because the user has not connected their account (OAuth). */
  authRequired: McpAuthRequired.optional(),
});
export type McpServerListError = z.infer<typeof McpServerListError>;
export const ListToolsResult = z.object({ items: z.array(McpToolItem), errors: z.array(McpServerListError) });
export type ListToolsResult = z.infer<typeof ListToolsResult>;

/** Runs one tool call of a run on its MCP server; `name` is the assigned (listed) tool name. */
export const CallToolCommand = z.object({
  userId: UserId,
  harnessId: Uuid,
  toolCallId: z.string().min(1).max(200),
  /** The conversation whose run makes the call (signed): an elicitation of the call belongs to it. */
  conversationId: Uuid.optional(),
  name: z.string().min(1).max(200),
  input: z.unknown(),
  timeoutMs: z.number().int().positive().max(15 * 60_000).optional(),
  correlationId: z.string().max(200).optional(),
  /**
   * chat's HMAC of the call (libs/crypto signToolCall over userId, harnessId, toolCallId, name, input, timeoutMs,
   * signedAt and conversationId); the broker's worker runs no job without a valid one, nor one signed too long ago.
   */
  signature: z.string().max(200).optional(),
  /** When chat signed the call (ms since the epoch). */
  signedAt: z.number().int().positive().optional(),
});
export type CallToolCommand = z.infer<typeof CallToolCommand>;
export const CallToolResult = z.object({
  ok: z.boolean(),
  /** What is stored and streamed as the UI part's output. */
  output: z.unknown(),
  /** The content of the `role: "tool"` message the model gets. */
  modelText: z.string(),
  errorText: z.string().optional(),
  durationMs: z.number(),
  /** Set when the call failed because the user must connect their account on the server (OAuth). */
  authRequired: McpAuthRequired.optional(),
});
export type CallToolResult = z.infer<typeof CallToolResult>;
/**
 * Stops tool calls (a run was interrupted): a waiting job ends without running, a running one is cancelled on the
 * server. All of a run's calls go in one command, so a slot freed by one cancelled call is not taken by another.
 */
export const CancelToolCallCommand = z.object({
  userId: UserId,
  toolCallIds: z.array(z.string().min(1).max(200)).min(1).max(1_000),
  correlationId: z.string().max(200).optional(),
});
export type CancelToolCallCommand = z.infer<typeof CancelToolCallCommand>;
export const CancelToolCallResult = z.object({ cancelled: z.literal(true) });
export type CancelToolCallResult = z.infer<typeof CancelToolCallResult>;

/** Every command reply: either the result or a domain error with a stable code. */
export const replyOf = <T extends z.ZodTypeAny>(data: T) =>
  z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), data }), z.object({ ok: z.literal(false), error: ErrorBody })]);
export type Reply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Command envelope metadata carried next to the payload. */
export const CommandMeta = z.object({ correlationId: z.string().optional() });

export const HealthReply = z.object({ service: z.string(), replicaId: z.string(), status: z.literal('ok') });
