import { createParser } from 'eventsource-parser';

/** One SSE event: `id:`, `event:` (absent unless the server sent one) and the joined `data:` lines. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}
/** A comment line, e.g. `: ping` → `{comment: 'ping'}`. */
export interface SseComment {
  comment: string;
}
export type SseItem = SseEvent | SseComment;

export const isSseEvent = (item: SseItem): item is SseEvent => 'data' in item;
export const isSseComment = (item: SseItem): item is SseComment => 'comment' in item;

/** JSON.parse of an event's data (throws with the raw data when it is not JSON). */
export function sseJson<T = unknown>(item: SseItem): T {
  if (!isSseEvent(item)) throw new Error(`not an event: ${JSON.stringify(item)}`);
  try {
    return JSON.parse(item.data) as T;
  } catch {
    throw new Error(`event data is not JSON: ${item.data.slice(0, 200)}`);
  }
}

export interface ReadSseOptions {
  /** Bearer token: sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as `Last-Event-ID`. */
  lastEventId?: string | number;
  headers?: Record<string, string>;
  /** Default GET. */
  method?: string;
  /** A string is sent as is, anything else as JSON (with content-type). */
  body?: unknown;
  /** Aborts the request and the stream. */
  signal?: AbortSignal;
  /** Time allowed for the response headers (default 10 000 ms). */
  connectTimeoutMs?: number;
}

export interface CollectOptions {
  /** Default 10 000 ms. */
  timeoutMs?: number;
}

export interface SseStream extends AsyncIterable<SseItem> {
  /** The HTTP response (status 2xx, content-type text/event-stream). */
  readonly response: Response;
  /** Every item received so far, read or not, in order. */
  readonly received: readonly SseItem[];
  /** True once the server ended the stream (or it was closed). */
  readonly ended: boolean;
  /**
   * The next unread item; undefined when the stream has ended. Throws after timeoutMs (the item is not lost:
   * a later call returns it).
   */
  next(opts?: CollectOptions): Promise<SseItem | undefined>;
  /**
   * Reads until `predicate` matches an item; returns the items read by this call, the matching one last.
   * Throws when the deadline passes or the stream ends first, listing what it saw.
   */
  collectUntil(predicate: (item: SseItem, seen: readonly SseItem[]) => boolean, opts?: CollectOptions): Promise<SseItem[]>;
  /** Reads until the server ends the stream; throws when it does not end before the deadline. */
  collectAll(opts?: CollectOptions): Promise<SseItem[]>;
  /** Stops reading and closes the connection. */
  close(): void;
}

/**
 * Opens (or takes) an SSE response and parses it with eventsource-parser: iterate it with `for await`, or use
 * next()/collectUntil(). A Response that is not 2xx text/event-stream is rejected with its status and body.
 */
export async function readSse(input: string | URL | Response, opts: ReadSseOptions = {}): Promise<SseStream> {
  const controller = new AbortController();
  if (opts.signal) {
    if (opts.signal.aborted) controller.abort(opts.signal.reason);
    else opts.signal.addEventListener('abort', () => controller.abort(opts.signal?.reason), { once: true });
  }
  let response: Response;
  if (input instanceof Response) {
    response = input;
  } else {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId);
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      if (typeof opts.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    const connectTimer = setTimeout(
      () => controller.abort(new Error(`SSE: no response headers from ${String(input)} within ${opts.connectTimeoutMs ?? 10_000} ms`)),
      opts.connectTimeoutMs ?? 10_000,
    );
    try {
      response = await fetch(input, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body, signal: controller.signal });
    } finally {
      clearTimeout(connectTimer);
    }
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!response.ok || !contentType.includes('text/event-stream')) {
    const text = await response.text().catch(() => '');
    controller.abort();
    throw new Error(`SSE: expected 2xx text/event-stream from ${response.url || 'response'}, got ${response.status} ${contentType}: ${text.slice(0, 500)}`);
  }
  if (!response.body) throw new Error('SSE: response has no body');
  return new SseStreamImpl(response, controller);
}

class SseStreamImpl implements SseStream {
  readonly received: SseItem[] = [];
  ended = false;
  private failure: unknown;
  private cursor = 0;
  private wake: (() => void) | undefined;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    this.reader = response.body!.getReader();
    void this.pump();
  }

  private push(item: SseItem) {
    this.received.push(item);
    this.notify();
  }

  private notify() {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async pump() {
    const parser = createParser({
      onEvent: (e) => {
        const item: SseEvent = { data: e.data };
        if (e.id !== undefined) item.id = e.id;
        if (e.event !== undefined) item.event = e.event;
        this.push(item);
      },
      onComment: (comment) => this.push({ comment }),
    });
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      parser.feed(decoder.decode());
    } catch (err) {
      // An abort by close() is a normal end; anything else is reported to the reader.
      if (!this.controller.signal.aborted) this.failure = err;
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  async next(opts: CollectOptions = {}): Promise<SseItem | undefined> {
    return this.nextBefore(Date.now() + (opts.timeoutMs ?? 10_000));
  }

  private async nextBefore(deadline: number): Promise<SseItem | undefined> {
    for (;;) {
      if (this.cursor < this.received.length) return this.received[this.cursor++];
      if (this.ended) {
        if (this.failure) throw new Error(`SSE stream failed: ${(this.failure as Error)?.message ?? String(this.failure)}`);
        return undefined;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new TimeoutError();
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(remaining) ? setTimeout(resolve, remaining) : undefined;
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async collectUntil(
    predicate: (item: SseItem, seen: readonly SseItem[]) => boolean,
    opts: CollectOptions = {},
  ): Promise<SseItem[]> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const seen: SseItem[] = [];
    for (;;) {
      let item: SseItem | undefined;
      try {
        item = await this.nextBefore(deadline);
      } catch (err) {
        if (err instanceof TimeoutError) {
          throw new Error(`SSE collectUntil: no match within ${timeoutMs} ms; saw ${seen.length} item(s): ${summarize(seen)}`, {
            cause: err,
          });
        }
        throw new Error(`${(err as Error).message}; saw ${seen.length} item(s): ${summarize(seen)}`, { cause: err });
      }
      if (item === undefined) {
        throw new Error(`SSE collectUntil: stream ended before a match; saw ${seen.length} item(s): ${summarize(seen)}`);
      }
      seen.push(item);
      if (predicate(item, seen)) return seen;
    }
  }

  async collectAll(opts: CollectOptions = {}): Promise<SseItem[]> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const seen: SseItem[] = [];
    for (;;) {
      let item: SseItem | undefined;
      try {
        item = await this.nextBefore(deadline);
      } catch (err) {
        if (err instanceof TimeoutError) {
          throw new Error(`SSE collectAll: stream still open after ${timeoutMs} ms; saw ${seen.length} item(s): ${summarize(seen)}`, {
            cause: err,
          });
        }
        throw err;
      }
      if (item === undefined) return seen;
      seen.push(item);
    }
  }

  close(): void {
    if (!this.controller.signal.aborted) this.controller.abort();
    this.reader.cancel().catch(() => undefined);
    this.ended = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SseItem> {
    try {
      for (;;) {
        const item = await this.nextBefore(Number.POSITIVE_INFINITY);
        if (item === undefined) return;
        yield item;
      }
    } finally {
      // Leaving a for-await early (break/return/throw) closes the connection, like EventSource.close().
      if (!this.ended) this.close();
    }
  }
}

class TimeoutError extends Error {}

function summarize(items: readonly SseItem[]): string {
  const text = JSON.stringify(items.slice(-30));
  const prefix = items.length > 30 ? `(last 30) ` : '';
  return prefix + (text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
}
