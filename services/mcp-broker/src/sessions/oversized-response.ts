import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { OutboundRefusedError } from '@harness/outbound';

/** The `data.harness` of the JSON-RPC error that answers a request whose SSE response was cut off for its size. */
const TOO_LARGE_CODES = new Set(['body_too_large', 'event_too_large']);
const CR = 0x0d;
const LF = 0x0a;
const encoder = new TextEncoder();

/**
 * The user-facing reason when `error` is an MCP server response refused for its size (a JSON body over the limit, or
 * an SSE event over it, answered by answerOversizedEvents), else undefined.
 */
export function tooLargeMessage(error: unknown): string | undefined {
  if (error instanceof OutboundRefusedError && TOO_LARGE_CODES.has(error.code)) return error.message;
  if (error instanceof McpError) {
    const data = error.data as { harness?: unknown; message?: unknown } | undefined;
    if (typeof data?.harness === 'string' && TOO_LARGE_CODES.has(data.harness) && typeof data.message === 'string') return data.message;
  }
  return undefined;
}

/**
 * Wraps the pool's fetch so a request whose SSE response carries an event over the size limit fails at once with
 * that reason: the MCP SDK reads a POST's SSE stream in the background and only reports a broken stream to
 * `onerror`, so the request would otherwise wait for its timeout. When the body fails the size limit, the partial
 * event is discarded and each JSON-RPC request of the POST gets an error response in its place, then the stream ends.
 */
export function answerOversizedEvents(fetch: FetchLike): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    if (!response.body || mediaType(response.headers.get('content-type')) !== 'text/event-stream') return response;
    const ids = requestIds(init?.body);
    if (ids.length === 0) return response;
    const answered = new Response(withRefusalAnswers(response.body, ids), { status: response.status, statusText: response.statusText, headers: response.headers });
    Object.defineProperty(answered, 'url', { value: response.url });
    return answered;
  };
}

function withRefusalAnswers(source: ReadableStream<Uint8Array>, ids: (string | number)[]): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let atLineStart = true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!(error instanceof OutboundRefusedError) || !TOO_LARGE_CODES.has(error.code)) return controller.error(error);
          // End the partial event under an event type the SDK ignores, then answer each request with the reason.
          const discard = `${atLineStart ? '' : '\n'}event: harness-discarded\n\n`;
          const answers = ids.map((id) => {
            const payload = { code: ErrorCode.InternalError, message: error.message, data: { harness: error.code, message: error.message } };
            return `data: ${JSON.stringify({ jsonrpc: '2.0', id, error: payload })}\n\n`;
          });
          controller.enqueue(encoder.encode(discard + answers.join('')));
          controller.close();
          return;
        }
        if (chunk.done) return controller.close();
        const last = chunk.value[chunk.value.length - 1];
        if (last !== undefined) atLineStart = last === LF || last === CR;
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

const mediaType = (contentType: string | null): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** The ids of the JSON-RPC requests in a POST body (the SDK sends one message or a batch, as a JSON string). */
function requestIds(body: unknown): (string | number)[] {
  if (typeof body !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  const ids: (string | number)[] = [];
  for (const m of messages) {
    const message = m as { method?: unknown; id?: unknown } | null;
    if (message && typeof message.method === 'string' && (typeof message.id === 'string' || typeof message.id === 'number')) ids.push(message.id);
  }
  return ids;
}
