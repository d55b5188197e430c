import { request, type IncomingHttpHeaders } from 'node:http';

/** A request exactly as written: any method, raw path and query, raw body bytes, headers as given. */
export interface RawRequest {
  method: string;
  /** Path and query, already encoded (or deliberately not). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body with `transfer-encoding: chunked` in a few pieces instead of a content-length. */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (an event stream's is not read: see `stream`). */
  body: string;
  /** An event stream: only its status and headers were read, then the connection was closed. */
  stream: boolean;
}

const MAX_BODY_READ = 4 * 1024 * 1024;

/**
 * Sends one request on a connection of its own (nothing left over from a previous request can confuse the next) and
 * resolves with the answer. Rejects when there is none: the connection dropped, or nothing within `timeoutMs`.
 */
export function sendRaw(baseUrl: string, req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const headers = { ...req.headers };
    if (req.body && !req.chunked) headers['content-length'] = String(req.body.length);
    if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
    const outgoing = request({ host: hostname, port: Number(port), method: req.method, path: req.path, headers, agent: false }, (res) => {
      const stream = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      if (stream) {
        settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', stream: true }));
        outgoing.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_READ) chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), stream: false })));
      res.on('error', (err) => settle(() => reject(new Error(`the response broke off: ${err.message}`))));
    });
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`no complete answer within ${timeoutMs} ms`)));
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('error', (err) => settle(() => reject(new Error(`connection error: ${err.message}`))));
    if (req.body && req.chunked) {
      const third = Math.ceil(req.body.length / 3) || 1;
      for (let i = 0; i < req.body.length; i += third) outgoing.write(req.body.subarray(i, i + third));
      outgoing.end();
    } else {
      outgoing.end(req.body);
    }
  });
}
