import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startMcpTestServer, TINY_PNG_BASE64, TINY_WAV_BASE64, type McpTestServerHandle } from '../../src/index.js';

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const open: Client[] = [];

async function connect(url: string, token?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : undefined,
  });
  const client = new Client({ name: 'mcp-test-server-test', version: '0.0.1' });
  client.onerror = () => undefined; // a dropped GET stream after expiry is reported here; the tests check the calls
  await client.connect(transport);
  open.push(client);
  return { client, transport };
}

async function expectHttpError(p: Promise<unknown>, code: number): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StreamableHTTPError);
  expect((err as StreamableHTTPError).code).toBe(code);
}

const text = (r: CallToolResult, i = 0): string => {
  const c = r.content[i];
  if (c.type !== 'text') throw new Error(`content ${i} is ${c.type}`);
  return c.text;
};

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});

describe('mcp-test-server', () => {
  let srv: McpTestServerHandle;
  beforeAll(async () => {
    srv = await startMcpTestServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('lists its tools', async () => {
    const { client } = await connect(srv.url);
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/mcp`);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['add', 'ask', 'ask_hostile', 'echo', 'endless', 'fail', 'huge', 'mixed', 'slow', 'throw', 'whoami'].sort(),
    );
    const add = tools.find((t) => t.name === 'add')!;
    expect(add.inputSchema.properties).toHaveProperty('a');
    expect(add.outputSchema?.properties).toHaveProperty('sum');
  });

  it('echo, add and mixed return every content type and structuredContent', async () => {
    const { client } = await connect(srv.url);
    const echo = (await client.callTool({ name: 'echo', arguments: { text: 'héllo' } })) as CallToolResult;
    expect(text(echo)).toBe('héllo');

    const add = (await client.callTool({ name: 'add', arguments: { a: 2, b: 40.5 } })) as CallToolResult;
    expect(text(add)).toBe('42.5');
    expect(add.structuredContent).toEqual({ sum: 42.5 });

    const mixed = (await client.callTool({ name: 'mixed', arguments: {} })) as CallToolResult;
    expect(mixed.content.map((c) => c.type)).toEqual(['text', 'image', 'audio', 'resource_link', 'resource']);
    expect(mixed.content[1]).toEqual({ type: 'image', data: TINY_PNG_BASE64, mimeType: 'image/png' });
    expect(Buffer.from(TINY_PNG_BASE64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(mixed.content[2]).toEqual({ type: 'audio', data: TINY_WAV_BASE64, mimeType: 'audio/wav' });
    expect(Buffer.from(TINY_WAV_BASE64, 'base64').subarray(0, 4).toString()).toBe('RIFF');
    expect(mixed.content[3]).toMatchObject({ type: 'resource_link', uri: 'test://mixed/linked.txt', name: 'linked.txt', mimeType: 'text/plain' });
    expect(mixed.content[4]).toEqual({
      type: 'resource',
      resource: { uri: 'test://mixed/embedded.txt', mimeType: 'text/plain', text: 'embedded text' },
    });
    expect(mixed.structuredContent).toEqual({ kinds: ['text', 'image', 'audio', 'resource_link', 'resource'], count: 5 });
    expect(srv.stats.callsByTool).toMatchObject({ echo: 1, add: 1, mixed: 1 });
  });

  it('fail gives an isError result; throw gives a JSON-RPC error', async () => {
    const { client } = await connect(srv.url);
    const fail = (await client.callTool({ name: 'fail', arguments: { message: 'it broke' } })) as CallToolResult;
    expect(fail.isError).toBe(true);
    expect(text(fail)).toBe('it broke');

    const err = await client.callTool({ name: 'throw', arguments: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.InternalError);
    expect((err as McpError).message).toContain('always throws');
    // The session still works afterwards.
    expect(text((await client.callTool({ name: 'echo', arguments: { text: 'ok' } })) as CallToolResult)).toBe('ok');
  });

  it('slow: cancelling via AbortSignal reaches the server and stops the handler', async () => {
    const { client } = await connect(srv.url);
    const before = srv.stats.cancelledNotifications.length;
    const ac = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { ms: 30_000 } }, undefined, { signal: ac.signal });
    await waitFor(() => srv.stats.inFlight === 1, 'slow to start');
    ac.abort('test cancels');
    await expect(call).rejects.toBeDefined();
    await waitFor(() => srv.stats.cancelledNotifications.length === before + 1, 'the cancellation');
    await waitFor(() => srv.stats.inFlight === 0, 'slow to stop');
    expect(srv.stats.cancelledNotifications.at(-1)).toMatch(/^\d+$/);

    const quick = (await client.callTool({ name: 'slow', arguments: { ms: 20 } })) as CallToolResult;
    expect(text(quick)).toBe('slept 20');
  });

  it('endless: sends progress until cancelled; a disconnect also stops it', async () => {
    const { client } = await connect(srv.url);
    const before = srv.stats.cancelledNotifications.length;
    const ac = new AbortController();
    const progress: number[] = [];
    const call = client.callTool({ name: 'endless', arguments: {} }, undefined, {
      signal: ac.signal,
      onprogress: (p) => progress.push(p.progress),
      timeout: 60_000,
    });
    await waitFor(() => progress.length >= 2, 'two progress notifications');
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    ac.abort();
    await expect(call).rejects.toBeDefined();
    await waitFor(() => srv.stats.cancelledNotifications.length === before + 1 && srv.stats.inFlight === 0, 'endless to stop');

    // No cancellation this time: the client just goes away.
    const second = await connect(srv.url);
    const lost = second.client.callTool({ name: 'endless', arguments: {} }, undefined, { timeout: 60_000 }).catch((e: unknown) => e);
    await waitFor(() => srv.stats.inFlight === 1, 'second endless to start');
    await second.client.close();
    await lost;
    await waitFor(() => srv.stats.inFlight === 0, 'endless to notice the disconnect');
    expect(srv.stats.cancelledNotifications.length).toBe(before + 1);
  });

  it('expireSessions: the old session gets 404, a new client works', async () => {
    const { client } = await connect(srv.url);
    await client.listTools();
    await srv.expireSessions();
    expect(srv.stats.sessionsOpen).toBe(0);
    await expectHttpError(client.listTools(), 404);

    const initsBefore = srv.stats.initializeCount;
    const fresh = await connect(srv.url);
    expect(srv.stats.initializeCount).toBe(initsBefore + 1);
    expect(text((await fresh.client.callTool({ name: 'echo', arguments: { text: 'again' } })) as CallToolResult)).toBe('again');
  });

  it('addTool: the client gets tools/list_changed and sees the new tool', async () => {
    const { client } = await connect(srv.url);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    // list_changed travels on the standalone GET stream, which the client opens after initialization.
    await waitFor(() => srv.stats.standaloneStreams >= 1, 'the GET stream');
    srv.addTool('late_tool');
    await waitFor(() => changed >= 1, 'notifications/tools/list_changed');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('late_tool');
    const r = (await client.callTool({ name: 'late_tool', arguments: { text: 'hi' } })) as CallToolResult;
    expect(text(r)).toBe('hi');

    const other = await connect(srv.url); // a session started later has it too
    expect((await other.client.listTools()).tools.map((t) => t.name)).toContain('late_tool');
  });

  it('terminateSession sends DELETE, which closes and counts the session', async () => {
    const { client, transport } = await connect(srv.url);
    const { deleteCount, sessionsOpen } = srv.stats;
    const sid = transport.sessionId!;
    expect(sid).toBeTruthy();
    await transport.terminateSession();
    expect(srv.stats.deleteCount).toBe(deleteCount + 1);
    expect(srv.stats.sessionsOpen).toBe(sessionsOpen - 1);
    await client.close();

    const res = await fetch(srv.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
  });

  it('huge: 1 MB of text arrives whole', async () => {
    const { client } = await connect(srv.url);
    const r = (await client.callTool({ name: 'huge', arguments: { bytes: 1024 * 1024 } })) as CallToolResult;
    const t = text(r);
    expect(t.length).toBe(1024 * 1024);
    expect(/^x+$/.test(t)).toBe(true);
  });

  it('whoami without a token says anonymous and its own session', async () => {
    const a = await connect(srv.url);
    const b = await connect(srv.url, 'tok-of-bob-B0B1');
    const ra = (await a.client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    const rb = (await b.client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    expect(ra.structuredContent).toEqual({ token: 'anonymous', sessionId: a.transport.sessionId });
    expect(rb.structuredContent).toEqual({ token: 'B0B1', sessionId: b.transport.sessionId });
    expect(text(ra)).toBe(`anonymous ${a.transport.sessionId}`);
  });

  it('an unknown session id gets 404 and a non-initialize request without one gets 400', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect((await fetch(srv.url, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'nope' }, body })).status).toBe(404);
    expect((await fetch(srv.url, { method: 'POST', headers, body })).status).toBe(400);
  });
});

describe('mcp-test-server with a bearer token', () => {
  let srv: McpTestServerHandle;
  beforeAll(async () => {
    srv = await startMcpTestServer({ bearerToken: 'secret-token-abcd' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('missing or wrong token: 401 with WWW-Authenticate: Bearer', async () => {
    const raw = await fetch(srv.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer/);

    await expectHttpError(connect(srv.url), 401);
    await expectHttpError(connect(srv.url, 'wrong-token'), 401);
    expect(srv.stats.initializeCount).toBe(0);
  });

  it('right token works and whoami shows its last 4 characters', async () => {
    const { client, transport } = await connect(srv.url, 'secret-token-abcd');
    const r = (await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    expect(text(r)).toBe(`abcd ${transport.sessionId}`);
  });
});

describe('mcp-test-server lifecycle', () => {
  it('sessionIdleMs forgets idle sessions (then 404)', async () => {
    const srv = await startMcpTestServer({ sessionIdleMs: 100 });
    try {
      const { client } = await connect(srv.url);
      expect(srv.stats.sessionsOpen).toBe(1);
      await waitFor(() => srv.stats.sessionsOpen === 0, 'the idle session to go');
      await expectHttpError(client.listTools(), 404);
    } finally {
      await srv.close();
    }
  });

  it('close ends open SSE streams and in-flight calls', async () => {
    const srv = await startMcpTestServer();
    const { client } = await connect(srv.url);
    await waitFor(() => srv.stats.standaloneStreams === 1, 'the GET stream');
    const call = client.callTool({ name: 'endless', arguments: {} }, undefined, { timeout: 60_000 }).catch((e: unknown) => e);
    await waitFor(() => srv.stats.inFlight === 1, 'endless to start');
    await srv.close();
    expect(srv.stats.inFlight).toBe(0);
    expect(srv.stats.standaloneStreams).toBe(0);
    await client.close();
    await call;
  });
});
