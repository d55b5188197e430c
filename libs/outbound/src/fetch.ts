import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { OutboundRefusedError } from './errors.js';
import { pinnedLookup } from './pinning.js';
import { checkUrl, type CheckedUrl, type OutboundPolicy } from './policy.js';
import { SseEventMeter } from './sse-event-meter.js';

export interface GuardedFetchOptions {
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
  /** Time to wait for the response headers of each hop, in ms (default 30000). The body may stream for longer. */
  timeoutMs?: number;
  /**
   * Overall deadline of one call, in ms: every hop, the response headers and reading the whole body. Past it the
   * request or the body stream fails with `TypeError('fetch failed')`. Default: none, so SSE streams can stay open.
   */
  deadlineMs?: number;
  /**
   * Most response body bytes read, counted after gzip/deflate/br decoding. Past it the body stream fails with
   * `OutboundRefusedError('body_too_large')` and the connection is closed. Default: no limit.
   */
  maxBodyBytes?: number;
  /**
   * For `text/event-stream` responses: most bytes of one SSE event (from one event boundary, a blank line, to the
   * next), counted after decoding, instead of `maxBodyBytes` for the whole body (an SSE stream may stay open and carry
   * any number of events). Past it the body stream fails with `OutboundRefusedError('event_too_large')` and the
   * connection is closed. Default: none (`maxBodyBytes`, if set, then bounds SSE bodies too).
   */
  maxEventBytes?: number;
}

interface BodyLimits {
  /** `Date.now()` by which the body must have ended, or undefined for none. */
  deadline: number | undefined;
  deadlineMs: number | undefined;
  maxBodyBytes: number | undefined;
  maxEventBytes: number | undefined;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** Headers managed by the connection itself, never copied from the caller. */
const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection']);
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

type Body = Uint8Array | ReadableStream<Uint8Array> | null;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function networkError(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/**
 * A `fetch` that only reaches URLs the policy allows: every URL (and every redirect hop) is checked, and the
 * connection goes to the checked addresses only (the host is never resolved again), with the host name kept for the
 * Host header, TLS SNI and certificate verification.
 */
export function guardedFetch(policy: OutboundPolicy, options: GuardedFetchOptions = {}): FetchLike {
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { deadlineMs, maxBodyBytes, maxEventBytes } = options;
  // Private agents: a kept-alive socket is only ever reused by requests checked under this same policy.
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  return async function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const deadline = deadlineMs === undefined ? undefined : Date.now() + deadlineMs;
    const base = input instanceof Request ? input : undefined;
    // Check before building a Request, so a refused URL gets the guard's error and code.
    let checked = await checkUrl(policy, base ? base.url : String(input));
    const streamBody = typeof ReadableStream !== 'undefined' && (init?.body instanceof ReadableStream || (init?.body === undefined && base?.body != null));
    const requestInit: RequestInit & { duplex?: 'half' } = { ...init };
    if (init?.body instanceof ReadableStream) requestInit.duplex = 'half';
    const request = new Request(base ?? checked.url, requestInit);
    const signal = init?.signal ?? base?.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    const redirectMode = request.redirect;
    let method = request.method;
    const headers = new Headers(request.headers);
    let body: Body = request.body === null ? null : streamBody ? request.body : new Uint8Array(await request.arrayBuffer());

    let hops = 0;
    for (;;) {
      const left = deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline - Date.now());
      if (left <= 0) throw networkError(new Error(`not complete within ${deadlineMs} ms`));
      const res = await send(checked, method, headers, body, signal, left, agents);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (!REDIRECT_STATUSES.has(status) || redirectMode === 'manual' || !location) {
        return toResponse(res, checked.url, hops > 0, method, signal, { deadline, deadlineMs, maxBodyBytes, maxEventBytes });
      }
      res.destroy();
      if (redirectMode === 'error') throw networkError(new Error('unexpected redirect'));
      hops += 1;
      if (hops > maxRedirects) {
        throw new OutboundRefusedError('too_many_redirects', `Too many redirects (more than ${maxRedirects}).`);
      }
      let next: URL;
      try {
        next = new URL(location, checked.url);
      } catch (err) {
        throw new OutboundRefusedError('invalid_url', 'The redirect location is not a valid URL.', { cause: err });
      }
      if (checked.url.protocol === 'https:' && next.protocol === 'http:') {
        throw new OutboundRefusedError('redirect_not_allowed', 'Refusing a redirect from https to plain http.');
      }
      const previous = checked.url;
      checked = await checkUrl(policy, next.href);
      if ((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = null;
        for (const h of BODY_HEADERS) headers.delete(h);
      }
      const crossOrigin = checked.url.origin !== previous.origin;
      // A 307/308 (or a 301/302 of a non-POST) keeps the body: never hand it (client secrets, tokens) to another origin.
      if (crossOrigin && body !== null && !(body instanceof Uint8Array && body.byteLength === 0)) {
        throw new OutboundRefusedError('redirect_not_allowed', 'Refusing to send the request body to another origin on a redirect.');
      }
      if (body instanceof ReadableStream) throw networkError(new Error('cannot follow a redirect with a streamed request body'));
      if (crossOrigin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
    }
  };
}

function send(
  checked: CheckedUrl,
  method: string,
  headers: Headers,
  body: Body,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  agents: { http: http.Agent; https: https.Agent },
): Promise<http.IncomingMessage> {
  const { url } = checked;
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const outgoing: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!HOP_HEADERS.has(name)) outgoing[name] = value;
  });
  if (body instanceof Uint8Array) outgoing['content-length'] = String(body.byteLength);
  else if (body === null && ['POST', 'PUT', 'PATCH'].includes(method)) outgoing['content-length'] = '0';

  return new Promise((resolve, reject) => {
    const requestOptions: https.RequestOptions = {
      protocol: url.protocol,
      host,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method,
      headers: outgoing,
      agent: secure ? agents.https : agents.http,
      // The only resolution the connection gets: the addresses checked above.
      lookup: pinnedLookup(checked.addresses),
    };
    if (secure && isIP(host) === 0) requestOptions.servername = host;
    const req = (secure ? https : http).request(requestOptions);
    let settled = false;
    const finish = (err: unknown, res?: http.IncomingMessage) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (res) resolve(res);
      else reject(err);
    };
    const onAbort = () => {
      const reason = abortReason(signal!);
      req.destroy(reason instanceof Error ? reason : undefined);
      finish(reason);
    };
    const timer = setTimeout(() => {
      const err = networkError(new Error(`no response within ${timeoutMs} ms`));
      req.destroy(err);
      finish(err);
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => finish(null, res));
    req.on('error', (err) => finish(err instanceof TypeError ? err : networkError(err)));

    if (body === null) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else void pumpBody(body, req);
  });
}

async function pumpBody(stream: ReadableStream<Uint8Array>, req: http.ClientRequest): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (req.destroyed) return;
      if (!req.write(value)) await new Promise<void>((resolve) => { req.once('drain', resolve); req.once('close', resolve); });
    }
    req.end();
  } catch (err) {
    req.destroy(err instanceof Error ? err : new Error(String(err)));
  } finally {
    reader.releaseLock();
  }
}

function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const syncFlush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  let decoder: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null = null;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = zlib.createGunzip(syncFlush);
  else if (encoding === 'deflate') decoder = zlib.createInflate(syncFlush);
  else if (encoding === 'br') decoder = zlib.createBrotliDecompress();
  if (!decoder) return res;
  const d = decoder;
  res.on('error', (err) => d.destroy(err));
  d.on('close', () => res.destroy());
  return res.pipe(d);
}

function toResponse(res: http.IncomingMessage, url: URL, redirected: boolean, method: string, signal: AbortSignal | undefined, limits: BodyLimits): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
    } catch {
      // A header value fetch would not accept is dropped, as undici does.
    }
  }
  let stream: ReadableStream<Uint8Array> | null = null;
  if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
    res.resume();
  } else {
    const source = decoded(res);
    const perEvent = limits.maxEventBytes !== undefined && isEventStream(headers.get('content-type'));
    const maxBodyBytes = perEvent ? undefined : limits.maxBodyBytes;
    const events = perEvent ? new SseEventMeter() : undefined;
    let done = false;
    let received = 0;
    let deadlineTimer: NodeJS.Timeout | undefined;
    let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
    const settle = () => {
      done = true;
      clearTimeout(deadlineTimer);
      signal?.removeEventListener('abort', onAbort);
    };
    /** Ends the body with `reason` and closes the connection. */
    const stop = (reason: unknown) => {
      const first = !done;
      settle();
      res.destroy();
      source.destroy();
      if (first) controllerRef?.error(reason);
    };
    const onAbort = () => stop(abortReason(signal!));
    stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controllerRef = controller;
          if (signal?.aborted) return onAbort();
          signal?.addEventListener('abort', onAbort, { once: true });
          if (limits.deadline !== undefined) {
            deadlineTimer = setTimeout(
              () => stop(networkError(new Error(`the response body did not end within ${limits.deadlineMs} ms`))),
              Math.max(0, limits.deadline - Date.now()),
            );
          }
          source.on('data', (chunk: Buffer) => {
            if (done) return;
            received += chunk.byteLength;
            if (maxBodyBytes !== undefined && received > maxBodyBytes) {
              stop(new OutboundRefusedError('body_too_large', `The response body from ${url.host} is larger than ${maxBodyBytes} bytes.`));
              return;
            }
            if (events && events.largestAfter(chunk) > limits.maxEventBytes!) {
              stop(new OutboundRefusedError('event_too_large', `An SSE event from ${url.host} is larger than ${limits.maxEventBytes} bytes.`));
              return;
            }
            controller.enqueue(new Uint8Array(chunk));
            // Backpressure only without a total limit: with one, the queue is bounded by it and the decoder is never
            // paused. An SSE body (per-event limit) has no total, so it pauses: a paused zlib decoder stops inflating
            // once its own 16 KiB buffer is full, and every chunk it produces is counted here before it is queued.
            if (maxBodyBytes === undefined && (controller.desiredSize ?? 1) <= 0) source.pause();
          });
          source.on('end', () => {
            if (done) return;
            settle();
            controller.close();
          });
          const fail = (err: unknown) => {
            if (done) return;
            settle();
            controller.error(networkError(err));
          };
          source.on('error', fail);
          source.on('close', () => fail(new Error('connection closed before the body ended')));
          res.on('error', fail);
        },
        pull() {
          source.resume();
        },
        cancel() {
          settle();
          res.destroy();
          source.destroy();
        },
      },
      { highWaterMark: 16 },
    );
  }
  let response: Response;
  try {
    response = new Response(stream, { status, statusText: res.statusMessage ?? '', headers });
  } catch {
    response = new Response(stream, { status, headers });
  }
  Object.defineProperty(response, 'url', { value: url.href });
  Object.defineProperty(response, 'redirected', { value: redirected });
  return response;
}

const isEventStream = (contentType: string | null): boolean =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'text/event-stream';
