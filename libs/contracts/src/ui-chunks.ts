import { z } from 'zod';

/**
 * The stored and streamed event payloads: chunks of the AI SDK UI message stream protocol (v1).
 * Every event of a conversation's stream is one of these, so the SSE `data:` line is the stored event as is.
 */

export const UsageSource = z.enum(['provider', 'estimated']);
export const Usage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  cost: z.number().nonnegative(),
  source: UsageSource,
  /** Which figures came from where when they differ (e.g. tokens from the provider, cost from the price table). */
  costSource: UsageSource.optional(),
});
export type Usage = z.infer<typeof Usage>;

export const RunStatus = z.enum(['started', 'completed', 'interrupted', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

export const FinishReason = z.enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']);

export const TextPart = z.object({ type: z.literal('text'), text: z.string() });
export const ReasoningPart = z.object({ type: z.literal('reasoning'), text: z.string() });
export const DynamicToolPart = z.object({
  type: z.literal('dynamic-tool'),
  toolCallId: z.string(),
  toolName: z.string(),
  state: z.enum(['input-streaming', 'input-available', 'output-available', 'output-error']),
  input: z.unknown(),
  output: z.unknown().optional(),
  errorText: z.string().optional(),
  durationMs: z.number().optional(),
});
export const MessagePart = z.discriminatedUnion('type', [TextPart, ReasoningPart, DynamicToolPart]);
export type MessagePart = z.infer<typeof MessagePart>;

export const QueueItem = z.object({ id: z.string(), content: z.string(), createdAt: z.string() });
export type QueueItem = z.infer<typeof QueueItem>;

const id = z.string().min(1);

export const StartChunk = z.object({
  type: z.literal('start'),
  messageId: id,
  messageMetadata: z.object({ runId: id, model: z.string(), regenerates: z.string().optional() }),
});
export const StartStepChunk = z.object({ type: z.literal('start-step') });
export const FinishStepChunk = z.object({ type: z.literal('finish-step') });
export const TextStartChunk = z.object({ type: z.literal('text-start'), id });
export const TextDeltaChunk = z.object({ type: z.literal('text-delta'), id, delta: z.string() });
export const TextEndChunk = z.object({ type: z.literal('text-end'), id });
export const ReasoningStartChunk = z.object({ type: z.literal('reasoning-start'), id });
export const ReasoningDeltaChunk = z.object({ type: z.literal('reasoning-delta'), id, delta: z.string() });
export const ReasoningEndChunk = z.object({ type: z.literal('reasoning-end'), id });
export const ToolInputStartChunk = z.object({
  type: z.literal('tool-input-start'),
  toolCallId: id,
  toolName: z.string(),
  dynamic: z.literal(true).optional(),
});
export const ToolInputDeltaChunk = z.object({ type: z.literal('tool-input-delta'), toolCallId: id, inputTextDelta: z.string() });
export const ToolInputAvailableChunk = z.object({
  type: z.literal('tool-input-available'),
  toolCallId: id,
  toolName: z.string(),
  input: z.unknown(),
  dynamic: z.literal(true).optional(),
});
export const ToolOutputAvailableChunk = z.object({
  type: z.literal('tool-output-available'),
  toolCallId: id,
  output: z.unknown(),
  dynamic: z.literal(true).optional(),
});
export const ToolOutputErrorChunk = z.object({
  type: z.literal('tool-output-error'),
  toolCallId: id,
  errorText: z.string(),
  dynamic: z.literal(true).optional(),
});
export const FinishChunk = z.object({
  type: z.literal('finish'),
  finishReason: FinishReason.optional(),
  messageMetadata: z.object({ usage: Usage.optional() }).optional(),
});
export const AbortChunk = z.object({ type: z.literal('abort'), reason: z.string().optional() });
export const ErrorChunk = z.object({ type: z.literal('error'), errorText: z.string() });

/** Data parts are `transient` in the AI SDK sense: delivered to `onData`, not added to the assistant message. */
const transient = z.literal(true).optional();
export const DataQueueChunk = z.object({ type: z.literal('data-queue'), data: z.object({ items: z.array(QueueItem) }), transient });
export const DataUsageChunk = z.object({
  type: z.literal('data-usage'),
  data: Usage.extend({ messageId: z.string(), model: z.string().optional() }),
  transient,
});
export const DataRunChunk = z.object({
  type: z.literal('data-run'),
  data: z.object({ runId: id, status: RunStatus, messageId: z.string().optional(), error: z.string().optional() }),
  transient,
});
export const DataMcpAuthChunk = z.object({
  type: z.literal('data-mcp-auth'),
  data: z.object({ serverUrl: z.string(), status: z.string(), authorizationUrl: z.string().optional() }),
  transient,
});
/** Where an MCP server's question to the user stands; `pending` until answered, cancelled or expired. */
export const ElicitationStatus = z.enum(['pending', 'accepted', 'declined', 'cancelled', 'expired']);
export type ElicitationStatus = z.infer<typeof ElicitationStatus>;
export const ElicitationData = z.object({
  elicitationId: z.string().min(1).max(100),
  serverName: z.string().max(200),
  message: z.string().max(4_000),
  requestedSchema: z.record(z.string(), z.unknown()),
  status: ElicitationStatus,
});
export type ElicitationData = z.infer<typeof ElicitationData>;
/**
 * An MCP server asks the user for input mid tool call (form elicitation). Not transient: the AI SDK keeps it as a
 * data part of the assistant message, and the chunk with the same `id` and a final status replaces it.
 */
export const DataElicitationChunk = z.object({ type: z.literal('data-elicitation'), id: z.string().min(1).max(100), data: ElicitationData });

export const DataMessageChunk = z.object({
  type: z.literal('data-message'),
  data: z.object({
    messageId: id,
    role: z.literal('user'),
    parts: z.array(TextPart),
    clientMessageId: z.string().optional(),
    /** Set when the message came from the queue: that queue item is consumed by this message. */
    queueItemId: z.string().optional(),
  }),
  transient,
});

export const UiChunk = z.discriminatedUnion('type', [
  StartChunk, StartStepChunk, FinishStepChunk,
  TextStartChunk, TextDeltaChunk, TextEndChunk,
  ReasoningStartChunk, ReasoningDeltaChunk, ReasoningEndChunk,
  ToolInputStartChunk, ToolInputDeltaChunk, ToolInputAvailableChunk, ToolOutputAvailableChunk, ToolOutputErrorChunk,
  FinishChunk, AbortChunk, ErrorChunk,
  DataQueueChunk, DataUsageChunk, DataRunChunk, DataMcpAuthChunk, DataMessageChunk, DataElicitationChunk,
]);
export type UiChunk = z.infer<typeof UiChunk>;
export type UiChunkType = UiChunk['type'];
export type ChunkOf<T extends UiChunkType> = Extract<UiChunk, { type: T }>;

export const TERMINAL_CHUNK_TYPES = ['finish', 'abort', 'error'] as const;
export const isTerminalChunk = (c: { type: string }): boolean =>
  (TERMINAL_CHUNK_TYPES as readonly string[]).includes(c.type);

/** A stored event as read back from the store, and as published live on NATS. */
export const ConversationEvent = z.object({
  conversationId: z.string(),
  seq: z.number().int().positive(),
  /** Seq of the event before this one in the stream (0 for the first). Lets a reader tell a gap from a jump. */
  prev: z.number().int().nonnegative(),
  runId: z.string().nullable(),
  chunk: UiChunk,
  createdAt: z.string(),
});
export type ConversationEvent = z.infer<typeof ConversationEvent>;

const DELTA_TYPES = new Set(['text-delta', 'reasoning-delta']);
type SafeParse<T> = { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };

/**
 * ConversationEvent.safeParse with a fast path for the chunks that make up nearly all traffic (text and reasoning
 * deltas): the same checks, written out, about an order of magnitude cheaper than the schema walk. Everything else goes
 * through the schema.
 */
export function parseConversationEvent(data: unknown): SafeParse<ConversationEvent> {
  const d = data as Record<string, unknown> | null;
  const c = d && typeof d === 'object' ? (d.chunk as Record<string, unknown> | null) : null;
  if (
    c && typeof c === 'object' && DELTA_TYPES.has(c.type as string) &&
    typeof c.id === 'string' && c.id.length > 0 && typeof c.delta === 'string' && Object.keys(c).length === 3 &&
    typeof d!.conversationId === 'string' && Number.isInteger(d!.seq) && (d!.seq as number) > 0 &&
    Number.isInteger(d!.prev) && (d!.prev as number) >= 0 && (d!.runId === null || typeof d!.runId === 'string') &&
    typeof d!.createdAt === 'string'
  ) {
    return { success: true, data: d as unknown as ConversationEvent };
  }
  return ConversationEvent.safeParse(data) as SafeParse<ConversationEvent>;
}

/**
 * What goes on a conversation's live subject in place of an event too large for one NATS message (the server's
 * `max_payload`): its position only. It is published after the event is stored, so a reader fetches the event itself
 * from the store. Nothing is dropped: a reader either gets the event or its reference.
 */
export const EventReference = z.object({
  conversationId: z.string(),
  seq: z.number().int().positive(),
  prev: z.number().int().nonnegative(),
  runId: z.string().nullable(),
  createdAt: z.string(),
  ref: z.literal(true),
});
export type EventReference = z.infer<typeof EventReference>;

/** One message of a conversation's live subject: an event, or the reference to a stored one. */
export type LiveMessage = ConversationEvent | EventReference;
export const isEventReference = (m: LiveMessage): m is EventReference => 'ref' in m && m.ref === true;

export function parseLiveMessage(data: unknown): SafeParse<LiveMessage> {
  if (data && typeof data === 'object' && (data as { ref?: unknown }).ref === true) {
    return EventReference.safeParse(data) as SafeParse<LiveMessage>;
  }
  return parseConversationEvent(data);
}

export const referenceTo = (ev: ConversationEvent): EventReference => ({
  conversationId: ev.conversationId, seq: ev.seq, prev: ev.prev, runId: ev.runId, createdAt: ev.createdAt, ref: true,
});
