import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { createOutboundPolicy, guardedFetch, OutboundRefusedError } from '../../src/index.js';

interface Seen { method?: string; url?: string; body: string; headers: http.IncomingHttpHeaders; remoteAddress?: string; localAddress?: string }

let server: http.Server;
let base: string;
let port: number;
const seen: Seen[] = [];
const sseOpen = new Set<http.ServerResponse>();
/** Responses of /trickle and /chunks still being written. */
const streaming = new Set<http.ServerResponse>();
/** 10 MiB of zeros, gzip- and brotli-compressed (about 10 KiB and a few bytes). */
const bomb = Buffer.alloc(10 * 1024 * 1024);
const gzipBomb = zlib.gzipSync(bomb);
const brBomb = zlib.brotliCompressSync(bomb);
/** One SSE event of 10 MiB that never ends, gzip-compressed. */
const sseEventBomb = zlib.gzipSync(Buffer.concat([Buffer.from('data: '), Buffer.alloc(10 * 1024 * 1024, 'a')]));
/** 64 MiB of small SSE events (CRLF line ends), gzip-compressed: each event is small, the body is not. */
const smallEvent = 'data: {"jsonrpc":"2.0","method":"notifications/progress"}\r\n\r\n';
const sseManyEvents = zlib.gzipSync(Buffer.from(smallEvent.repeat(Math.ceil((64 * 1024 * 1024) / smallEvent.length))));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, remoteAddress: req.socket.remoteAddress, localAddress: req.socket.localAddress });
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/json') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-custom': 'yes' });
        res.end(JSON.stringify({ ok: true, method: req.method }));
      } else if (u.pathname === '/echo') {
        res.writeHead(201, { 'content-type': req.headers['content-type'] ?? 'text/plain' });
        res.end(Buffer.concat(chunks));
      } else if (u.pathname === '/redirect') {
        res.writeHead(302, { location: u.searchParams.get('to') ?? '/json' });
        res.end();
      } else if (u.pathname === '/loop') {
        const n = Number(u.searchParams.get('n') ?? 0);
        res.writeHead(307, { location: `/loop?n=${n + 1}` });
        res.end();
      } else if (u.pathname === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.flushHeaders();
        sseOpen.add(res);
        let i = 0;
        const timer = setInterval(() => res.write(`data: ${i++}\n\n`), 20);
        res.on('close', () => { clearInterval(timer); sseOpen.delete(res); });
      } else if (u.pathname === '/redirect307') {
        res.writeHead(Number(u.searchParams.get('status') ?? 307), { location: u.searchParams.get('to') ?? '/echo' });
        res.end();
      } else if (u.pathname === '/trickle') {
        // Headers at once, then a byte every 20 ms, forever.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        streaming.add(res);
        const timer = setInterval(() => res.write(' '), 20);
        res.on('close', () => { clearInterval(timer); streaming.delete(res); });
      } else if (u.pathname === '/chunks') {
        // `n` SSE events, one every `every` ms, then the end.
        const n = Number(u.searchParams.get('n'));
        const every = Number(u.searchParams.get('every'));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        streaming.add(res);
        let i = 0;
        const timer = setInterval(() => {
          res.write(`data: ${i++}\n\n`);
          if (i === n) res.end();
        }, every);
        res.on('close', () => { clearInterval(timer); streaming.delete(res); });
      } else if (u.pathname === '/bytes') {
        const n = Number(u.searchParams.get('n'));
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
        res.end(Buffer.alloc(n, 'a'));
      } else if (u.pathname === '/bomb') {
        const br = u.searchParams.get('enc') === 'br';
        const body = br ? brBomb : gzipBomb;
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': br ? 'br' : 'gzip', 'content-length': String(body.byteLength) });
        res.end(body);
      } else if (u.pathname === '/sse-bomb' || u.pathname === '/sse-many') {
        const body = u.pathname === '/sse-bomb' ? sseEventBomb : sseManyEvents;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'content-encoding': 'gzip', 'content-length': String(body.byteLength) });
        res.end(body);
      } else if (u.pathname === '/slow') {
        const timer = setTimeout(() => res.end('late'), 2000);
        res.on('close', () => clearTimeout(timer));
      } else {
        res.writeHead(404);
        res.end('nope');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const res of sseOpen) res.destroy();
  for (const res of streaming) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => { seen.length = 0; });

const loopback = () => guardedFetch(createOutboundPolicy({ allowlist: ['127.0.0.0/8'] }));

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof OutboundRefusedError) return err.code;
    throw err;
  }
}

describe('guardedFetch against a local server', () => {
  it('is refused without an allowlist, with no request reaching the server', async () => {
    const f = guardedFetch(createOutboundPolicy({ allowlist: [] }));
    expect(await refusal(f(`${base}/json`))).toBe('scheme_not_allowed');
    const relaxed = guardedFetch(createOutboundPolicy({ allowlist: [], requireHttps: false }));
    expect(await refusal(relaxed(`${base}/json`))).toBe('address_not_allowed');
    expect(seen).toHaveLength(0);
  });

  it('is allowed with 127.0.0.0/8 and behaves like fetch (status, headers, json, url)', async () => {
    const res = await loopback()(`${base}/json`, { headers: { 'x-test': 'a' } });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(await res.json()).toEqual({ ok: true, method: 'GET' });
    expect(res.url).toBe(`${base}/json`);
    expect(seen[0].headers['x-test']).toBe('a');
    expect(seen[0].headers.host).toBe(`127.0.0.1:${port}`);
  });

  it('sends a JSON POST body intact, as string, Uint8Array, URLSearchParams and ReadableStream', async () => {
    const f = loopback();
    const payload = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { text: 'ünïcødé ✓'.repeat(500) } });
    const r1 = await f(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    expect(r1.status).toBe(201);
    expect(await r1.text()).toBe(payload);
    expect(seen[0].headers['content-length']).toBe(String(Buffer.byteLength(payload)));
    const r2 = await f(`${base}/echo`, { method: 'POST', body: new TextEncoder().encode(payload) });
    expect(await r2.text()).toBe(payload);
    const r3 = await f(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'a b' }) });
    expect(r3.headers.get('content-type')).toMatch(/application\/x-www-form-urlencoded/);
    expect(await r3.text()).toBe('grant_type=authorization_code&code=a+b');
    const enc = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(c) { c.enqueue(enc.encode(payload.slice(0, 100))); c.enqueue(enc.encode(payload.slice(100))); c.close(); },
    });
    const r4 = await f(`${base}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await r4.text()).toBe(payload);
    expect(seen.map((s) => s.body)).toEqual([payload, payload, 'grant_type=authorization_code&code=a+b', payload]);
  });

  it('follows redirects between allowed hosts and refuses a hop to a refused address', async () => {
    const f = loopback();
    const ok = await f(`${base}/redirect?to=/json`);
    expect(ok.status).toBe(200);
    expect(ok.redirected).toBe(true);
    expect(ok.url).toBe(`${base}/json`);
    seen.length = 0;
    expect(await refusal(f(`${base}/redirect?to=${encodeURIComponent('https://169.254.169.254/latest/meta-data')}`))).toBe('address_not_allowed');
    expect(await refusal(f(`${base}/redirect?to=${encodeURIComponent('https://[::ffff:10.0.0.1]/')}`))).toBe('address_not_allowed');
    expect(await refusal(f(`${base}/redirect?to=${encodeURIComponent('http://10.0.0.1/')}`))).toBe('scheme_not_allowed');
    expect(await refusal(f(`${base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`))).toBe('scheme_not_allowed');
    expect(seen.every((s) => s.url?.startsWith('/redirect'))).toBe(true);
  });

  it('drops credentials on a cross-origin redirect and turns a 302 POST into a GET', async () => {
    const f = guardedFetch(createOutboundPolicy({ allowlist: ['127.0.0.0/8', 'localhost'] }));
    const res = await f(`${base}/redirect?to=${encodeURIComponent(`http://localhost:${port}/json`)}`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await res.json()).toEqual({ ok: true, method: 'GET' });
    expect(seen[0].headers.authorization).toBe('Bearer secret');
    expect(seen[1].headers.authorization).toBeUndefined();
  });

  it('returns the redirect itself with redirect: manual', async () => {
    const res = await loopback()(`${base}/redirect?to=/json`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/json');
  });

  it('gives up after maxRedirects', async () => {
    const f = guardedFetch(createOutboundPolicy({ allowlist: ['127.0.0.0/8'] }), { maxRedirects: 3 });
    await expect(f(`${base}/loop`)).rejects.toMatchObject({ code: 'too_many_redirects' });
    expect(seen.map((s) => s.url)).toEqual(['/loop', '/loop?n=1', '/loop?n=2', '/loop?n=3']);
  });

  it('streams an SSE response that stays open, incrementally', async () => {
    const res = await loopback()(`${base}/sse`, { headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/\n\n/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += value;
    }
    expect(text).toMatch(/^data: 0\n\ndata: 1\n\ndata: 2\n\n/);
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 50));
    expect(sseOpen.size).toBe(0);
  });

  it('aborts via the signal, before the response and while streaming', async () => {
    const f = loopback();
    const before = new AbortController();
    const pending = f(`${base}/slow`, { signal: before.signal });
    setTimeout(() => before.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    const during = new AbortController();
    const res = await f(`${base}/sse`, { signal: during.signal });
    const reader = res.body!.getReader();
    await reader.read();
    during.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });

    const already = new AbortController();
    already.abort();
    await expect(f(`${base}/json`, { signal: already.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('times out waiting for headers', async () => {
    const f = guardedFetch(createOutboundPolicy({ allowlist: ['127.0.0.0/8'] }), { timeoutMs: 100 });
    await expect(f(`${base}/slow`)).rejects.toThrow(TypeError);
  });

  it('pins DNS: a host name is connected to the checked address, keeping the Host header', async () => {
    const f = guardedFetch(createOutboundPolicy({ allowlist: ['localhost'] }));
    const res = await f(`http://localhost:${port}/json`);
    expect(res.status).toBe(200);
    await res.text();
    expect(seen[0].headers.host).toBe(`localhost:${port}`);
    expect(seen[0].localAddress).toBe('127.0.0.1');

    // Pinning means the connection goes where the check said, whatever the host name: a resolver that answers
    // 127.0.0.1 for a name the system cannot resolve still reaches this server.
    const pinned = guardedFetch(createOutboundPolicy({
      allowlist: ['mcp.pinned.invalid'],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    }));
    const res2 = await pinned(`http://mcp.pinned.invalid:${port}/json`);
    expect(await res2.json()).toEqual({ ok: true, method: 'GET' });
    expect(seen[1].headers.host).toBe(`mcp.pinned.invalid:${port}`);
    expect(seen[1].remoteAddress).toBe('127.0.0.1');
  });
});

/** Resolves once `condition()` holds (checked every 10 ms), failing after `ms`. */
async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function readError(res: Response): Promise<unknown> {
  try {
    await res.arrayBuffer();
  } catch (err) {
    return err;
  }
  throw new Error('the body was read to its end');
}

describe('guardedFetch body limits', () => {
  const policy = () => createOutboundPolicy({ allowlist: ['127.0.0.0/8'] });

  it('deadlineMs bounds the whole call, body included: a trickling body fails within the deadline and the connection is closed', async () => {
    const f = guardedFetch(policy(), { deadlineMs: 300 });
    const started = Date.now();
    const res = await f(`${base}/trickle`);
    expect(res.status).toBe(200);
    const err = await readError(res);
    expect(err).toBeInstanceOf(TypeError);
    expect(String((err as TypeError).cause)).toMatch(/did not end within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    await until(() => streaming.size === 0);
  });

  it('deadlineMs also fails a body nobody reads, freeing the connection', async () => {
    const f = guardedFetch(policy(), { deadlineMs: 200 });
    const res = await f(`${base}/trickle`);
    expect(streaming.size).toBe(1);
    await until(() => streaming.size === 0);
    await expect(res.text()).rejects.toThrow(TypeError);
  });

  it('deadlineMs caps the wait for the headers too', async () => {
    const f = guardedFetch(policy(), { deadlineMs: 100 });
    const started = Date.now();
    await expect(f(`${base}/slow`)).rejects.toThrow(TypeError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('maxBodyBytes refuses a larger body and allows one of exactly that size', async () => {
    const f = guardedFetch(policy(), { maxBodyBytes: 1000 });
    expect((await (await f(`${base}/bytes?n=1000`)).arrayBuffer()).byteLength).toBe(1000);
    const err = await readError(await f(`${base}/bytes?n=200000`));
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect(err).toMatchObject({ code: 'body_too_large' });
  });

  it.each(['gzip', 'br'])('maxBodyBytes counts decoded bytes: a small %s body that inflates past the limit is refused', async (enc) => {
    expect(enc === 'br' ? brBomb.byteLength : gzipBomb.byteLength).toBeLessThan(64 * 1024);
    const f = guardedFetch(policy(), { maxBodyBytes: 64 * 1024 });
    const res = await f(`${base}/bomb?enc=${enc}`);
    expect(res.headers.get('content-encoding')).toBe(enc);
    expect(await readError(res)).toMatchObject({ name: 'OutboundRefusedError', code: 'body_too_large' });
  });

  it('maxEventBytes bounds each SSE event, counted after decoding: a one-event gzip bomb is refused at the limit', async () => {
    expect(sseEventBomb.byteLength).toBeLessThan(64 * 1024);
    const f = guardedFetch(policy(), { maxBodyBytes: 1024 * 1024 * 1024, maxEventBytes: 256 * 1024 });
    const res = await f(`${base}/sse-bomb`);
    const err = await readError(res);
    expect(err).toMatchObject({ name: 'OutboundRefusedError', code: 'event_too_large' });
    expect((err as Error).message).toBe(`An SSE event from 127.0.0.1:${port} is larger than ${256 * 1024} bytes.`);
  });

  it('maxEventBytes replaces maxBodyBytes for SSE only: many small events pass whatever their total, a JSON body is still capped', async () => {
    const f = guardedFetch(policy(), { maxBodyBytes: 64 * 1024, maxEventBytes: 1024 });
    const res = await f(`${base}/sse-many`);
    const reader = res.body!.getReader();
    let total = (await reader.read()).value!.byteLength;
    // Nobody reads for a while: the decoder is paused (backpressure), it does not inflate 64 MiB into memory. Watched for 300 ms (the absence of growth has no event to wait for).
    const before = process.memoryUsage().arrayBuffers;
    let grown = 0;
    for (const end = Date.now() + 300; Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 10));
      grown = Math.max(grown, process.memoryUsage().arrayBuffers - before);
    }
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
    }
    expect(total).toBe(Math.ceil((64 * 1024 * 1024) / smallEvent.length) * smallEvent.length);
    expect(await readError(await f(`${base}/bytes?n=200000`))).toMatchObject({ code: 'body_too_large' });
  });

  it('without deadlineMs and maxBodyBytes the body is not cut: an SSE stream outlasting the header timeout arrives whole, and a large body too', async () => {
    const f = guardedFetch(policy(), { timeoutMs: 100 });
    const started = Date.now();
    const res = await f(`${base}/chunks?n=6&every=60`, { headers: { accept: 'text/event-stream' } });
    const text = await res.text();
    expect(Date.now() - started).toBeGreaterThan(100);
    expect(text).toBe([0, 1, 2, 3, 4, 5].map((i) => `data: ${i}\n\n`).join(''));
    const big = await loopback()(`${base}/bytes?n=${4 * 1024 * 1024}`);
    expect((await big.arrayBuffer()).byteLength).toBe(4 * 1024 * 1024);
  });
});

describe('guardedFetch redirects of a request body', () => {
  const both = () => guardedFetch(createOutboundPolicy({ allowlist: ['127.0.0.0/8', 'localhost'] }));
  const elsewhere = () => encodeURIComponent(`http://localhost:${port}/echo`);

  it.each([307, 308])('refuses a cross-origin %i with a body, the body never reaching the other origin', async (status) => {
    const f = both();
    const pending = f(`${base}/redirect307?status=${status}&to=${elsewhere()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 't', client_secret: 's' }),
    });
    expect(await refusal(pending)).toBe('redirect_not_allowed');
    expect(seen.map((s) => s.url)).toEqual([expect.stringMatching(/^\/redirect307/)]);
  });

  it('follows a same-origin 307 with the body, and a cross-origin 307 of a request without a body', async () => {
    const f = both();
    const res = await f(`${base}/redirect307?to=/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(res.status).toBe(201);
    expect(res.redirected).toBe(true);
    expect(await res.text()).toBe('payload');
    expect(seen.map((s) => [s.url, s.body])).toEqual([['/redirect307?to=/echo', 'payload'], ['/echo', 'payload']]);

    const get = await f(`${base}/redirect307?to=${encodeURIComponent(`http://localhost:${port}/json`)}`);
    expect(await get.json()).toEqual({ ok: true, method: 'GET' });
    expect(seen[3].headers.host).toBe(`localhost:${port}`);
  });

  it('still turns a cross-origin 302 POST into a GET without the body', async () => {
    const res = await both()(`${base}/redirect?to=${elsewhere()}`, { method: 'POST', body: 'secret' });
    expect(res.status).toBe(201);
    expect(seen[1]).toMatchObject({ method: 'GET', body: '' });
  });
});
