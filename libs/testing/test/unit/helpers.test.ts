import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { getFreePort, isSseEvent, readSse, signToken, sseJson, waitFor } from '@harness/testing';

// The shared test helpers, against real sockets (a local HTTP server), no mocks.

describe('waitFor', () => {
  it('returns the first value that is not false/null/undefined, retrying on throws', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls < 5 ? false : { calls };
      },
      { timeoutMs: 2_000, intervalMs: 5 },
    );
    expect(value).toEqual({ calls: 5 });
  });

  it('names the last error when the deadline passes', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still broken');
        },
        { timeoutMs: 100, intervalMs: 10, description: 'the thing' },
      ),
    ).rejects.toThrow(/waitFor for the thing timed out after 100 ms .*last error: still broken/);
  });

  it('names the last value when the deadline passes', async () => {
    await expect(waitFor(async () => null, { timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(/last value: null/);
  });
});

describe('signToken', () => {
  it('signs HS256 with sub and exp', async () => {
    const secret = 'a-test-secret-of-enough-length';
    const token = await signToken(secret, 'alice@example.com', '10m');
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('alice@example.com');
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('rejects user ids the API would reject', async () => {
    await expect(signToken('x'.repeat(32), 'no spaces', '1h')).rejects.toThrow(/invalid user id/);
    await expect(signToken('x'.repeat(32), 'a'.repeat(129), '1h')).rejects.toThrow(/invalid user id/);
  });
});

describe('readSse', () => {
  let server: Server;
  let base: string;
  const open = new Set<ServerResponse>();
  let lastHeaders: Record<string, string | string[] | undefined> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      lastHeaders = req.headers;
      if (req.url === '/json') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthorized"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      open.add(res);
      res.on('close', () => open.delete(res));
      if (req.url === '/finite') {
        // Split in the middle of lines to exercise the parser's buffering.
        const body = ': ping\n\nid: 1\ndata: {"type":"start"}\n\nid: 2\nevent: custom\ndata: line one\ndata: line two\n\nid: 3\ndata: {"type":"finish"}\n\n';
        const parts = [body.slice(0, 9), body.slice(9, 30), body.slice(30, 61), body.slice(61)];
        let i = 0;
        const tick = setInterval(() => {
          if (i < parts.length) res.write(parts[i++]);
          else {
            clearInterval(tick);
            res.end();
          }
        }, 5);
      } else if (req.url === '/silent') {
        res.write(': ping\n\n');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('iterates events and comments in order, with ids, event names and joined data lines', async () => {
    const stream = await readSse(`${base}/finite`, { token: 'tok', lastEventId: 7 });
    expect(lastHeaders.authorization).toBe('Bearer tok');
    expect(lastHeaders['last-event-id']).toBe('7');
    expect(lastHeaders.accept).toBe('text/event-stream');
    const items = [];
    for await (const item of stream) items.push(item);
    expect(items).toEqual([
      { comment: 'ping' },
      { id: '1', data: '{"type":"start"}' },
      { id: '2', event: 'custom', data: 'line one\nline two' },
      { id: '3', data: '{"type":"finish"}' },
    ]);
    expect(stream.ended).toBe(true);
  });

  it('collectUntil stops at the first match and leaves the rest for later reads', async () => {
    const stream = await readSse(`${base}/finite`);
    const first = await stream.collectUntil((i) => isSseEvent(i) && i.id === '2', { timeoutMs: 5_000 });
    expect(first.map((i) => ('id' in i ? i.id : 'comment'))).toEqual(['comment', '1', '2']);
    const rest = await stream.collectAll({ timeoutMs: 5_000 });
    expect(rest.map((i) => sseJson<{ type: string }>(i).type)).toEqual(['finish']);
    expect(stream.received).toHaveLength(4);
  });

  it('collectUntil throws with what it saw when the deadline passes', async () => {
    const stream = await readSse(`${base}/silent`);
    try {
      await expect(stream.collectUntil((i) => isSseEvent(i), { timeoutMs: 200 })).rejects.toThrow(
        /no match within 200 ms; saw 1 item\(s\): \[\{"comment":"ping"\}\]/,
      );
    } finally {
      stream.close();
    }
  });

  it('collectUntil throws when the stream ends without a match', async () => {
    const stream = await readSse(`${base}/finite`);
    await expect(stream.collectUntil(() => false, { timeoutMs: 5_000 })).rejects.toThrow(/stream ended before a match; saw 4/);
  });

  it('accepts a Response, and rejects one that is not an event stream with its status and body', async () => {
    const stream = await readSse(await fetch(`${base}/finite`));
    expect((await stream.collectAll()).length).toBe(4);
    await expect(readSse(`${base}/json`)).rejects.toThrow(/got 401 application\/json: \{"error"/);
  });

  it('getFreePort gives a port that can be listened on', async () => {
    const port = await getFreePort();
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });
});
