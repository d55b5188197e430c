import type { ConversationEvent } from '@harness/contracts';

/** SSE framing. The `data` of an event is exactly the stored chunk (JSON has no raw newlines). */
export const frameEvent = (ev: ConversationEvent): string => `id: ${ev.seq}\ndata: ${JSON.stringify(ev.chunk)}\n\n`;
export const HEARTBEAT_FRAME = ': ping\n\n';
/** The AI SDK's end-of-stream marker. */
export const DONE_FRAME = 'data: [DONE]\n\n';

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};
/** Marks a response as an AI SDK UI message stream. */
export const AI_SDK_STREAM_HEADER = { 'x-vercel-ai-ui-message-stream': 'v1' } as const;

/** Accepts `text/event-stream` (and not only JSON)? */
export const wantsEventStream = (accept: string | undefined): boolean => /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept ?? '');

