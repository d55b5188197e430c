import { randomUUID } from 'node:crypto';
import { startSystem, waitFor, type System } from '@harness/testing';
import type { CallToolResult } from '@harness/contracts';
import { startMcpTestServer, TINY_PNG_BASE64, TINY_WAV_BASE64, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { BrokerCommands, testNamespace } from './support/broker.js';
import { Client } from './support/client.js';

/**
 * The mcp-broker against our misbehaving MCP test server, through its real boundary: harnesses created and tools
 * listed through the gateway's public API, tool calls sent as the broker's NATS callTool command (as chat does).
 */
describe('MCP broker against a misbehaving server', () => {
  const ALICE_TOKEN = 'alice-secret-token-A1A1';
  const BOB_TOKEN = 'bob-secret-token-B2B2';
  const WRONG_TOKEN = 'wrong-secret-token-X9X9';
  const MODEL_CHARS = 20_000; // DEFAULT_CALL_TOOL_OPTIONS.limits
  const STORED_BYTES = 256 * 1024;
  const ns = testNamespace('mcp-controlled');

  let plain: McpTestServerHandle;
  let secured: McpTestServerHandle;
  let changing: McpTestServerHandle;
  let system: System;
  let broker: BrokerCommands;
  let alice: Client;
  let bob: Client;
  const h = { alicePlain: '', bobPlain: '', aliceSecured: '', bobSecured: '', aliceWrong: '', aliceChanging: '' };

  interface ToolsBody {
    items: { name: string; originalName: string; serverId: string }[];
    errors: { serverId: string; serverName: string; message: string }[];
  }
  type Output = { content: any[]; structuredContent?: any; isError?: true };

  const tools = async (client: Client, harnessId: string) => {
    const r = await client.call<ToolsBody>('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(r.status).toBe(200);
    return r.body;
  };
  const call = (userId: 'alice' | 'bob', harnessId: string, name: string, input: unknown = {}, timeoutMs = 10_000): Promise<CallToolResult> =>
    broker.call({ userId, harnessId, toolCallId: randomUUID(), name, input, timeoutMs });
  const outputOf = (r: CallToolResult) => r.output as Output;
  const whoami = async (userId: 'alice' | 'bob', harnessId: string) => {
    const r = await call(userId, harnessId, 'whoami');
    if (!r.ok) throw new Error(`whoami as ${userId} failed: ${JSON.stringify(r)}`);
    return outputOf(r).structuredContent as { token: string; sessionId: string };
  };
  let brokerExited = false;
  const brokerAlive = () => !brokerExited;

  beforeAll(async () => {
    [plain, secured, changing] = await Promise.all([
      startMcpTestServer(),
      startMcpTestServer({ bearerTokens: [ALICE_TOKEN, BOB_TOKEN] }),
      startMcpTestServer(),
    ]);
    system = await startSystem({ label: 'mcp-controlled', services: ['gateway', 'mcp-broker'], env: { HARNESS_NATS_NAMESPACE: ns, HARNESS_RATE_LIMIT_TOOL_LISTS: 'off' } });
    void system.process('mcp-broker').exited.then(() => (brokerExited = true));
    broker = await BrokerCommands.connect(system);
    await broker.waitReady();
    [alice, bob] = await Promise.all([Client.as(system, 'alice'), Client.as(system, 'bob')]);
    const harness = async (client: Client, mcpServers: unknown[]) => (await client.createHarness({ mcpServers })).id;
    h.alicePlain = await harness(alice, [{ name: 'plain', url: plain.url }]);
    h.bobPlain = await harness(bob, [{ name: 'plain', url: plain.url }]);
    h.aliceSecured = await harness(alice, [{ name: 'secured', url: secured.url, authType: 'bearer', authToken: ALICE_TOKEN }]);
    h.bobSecured = await harness(bob, [{ name: 'secured', url: secured.url, authType: 'bearer', authToken: BOB_TOKEN }]);
    h.aliceWrong = await harness(alice, [
      { name: 'wrong', url: secured.url, authType: 'bearer', authToken: WRONG_TOKEN },
      { name: 'plain', url: plain.url },
    ]);
    h.aliceChanging = await harness(alice, [{ name: 'changing', url: changing.url }]);
  }, 90_000);

  afterAll(async () => {
    await broker?.close();
    await system?.stop();
    await Promise.all([plain?.close(), secured?.close(), changing?.close()]);
  });

  it('a slow tool answers after its delay; one slower than the per-call timeout ends with a clear error and is cancelled on the server', async () => {
    const ok = await call('alice', h.alicePlain, 'slow', { ms: 400 });
    expect(ok).toMatchObject({ ok: true, modelText: 'slept 400' });
    expect(ok.durationMs).toBeGreaterThanOrEqual(400);

    const cancelledBefore = plain.stats.cancelledNotifications.length;
    const late = await call('alice', h.alicePlain, 'slow', { ms: 60_000 }, 1_000);
    expect(late).toMatchObject({ ok: false, output: null, errorText: 'the tool did not answer within 1 s' });
    expect(late.modelText).toBe('Error: the tool did not answer within 1 s');
    expect(late.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(late.durationMs).toBeLessThan(5_000);
    await waitFor(() => plain.stats.cancelledNotifications.length > cancelledBefore && plain.stats.inFlight === 0, {
      timeoutMs: 5_000, description: 'the server to get notifications/cancelled and stop the slow handler',
    });
  });

  it('a failing tool: an isError result and a thrown (JSON-RPC error) call are both failed outcomes with the message', async () => {
    const failed = await call('alice', h.alicePlain, 'fail', { message: 'boom: the disk is full' });
    expect(failed).toMatchObject({ ok: false, errorText: 'boom: the disk is full', modelText: 'boom: the disk is full' });
    expect(outputOf(failed)).toEqual({ isError: true, content: [{ type: 'text', text: 'boom: the disk is full' }] });

    const thrown = await call('alice', h.alicePlain, 'throw');
    expect(thrown.ok).toBe(false);
    expect(thrown.output).toBeNull();
    expect(thrown.errorText).toContain('the tool call failed');
    expect(thrown.errorText).toContain('mcp-test-server: the throw tool always throws');
    expect(plain.stats.callsByTool['throw']).toBe(1);

    // The session survives both.
    expect((await call('alice', h.alicePlain, 'echo', { text: 'after failures' })).modelText).toBe('after failures');
  });

  it('huge output: the model gets at most the char limit with a visible truncation marker, storage stays under its limit', async () => {
    const bytes = 1_000_000;
    const r = await call('alice', h.alicePlain, 'huge', { bytes });
    expect(r.ok).toBe(true);
    expect(r.modelText.length).toBeLessThanOrEqual(MODEL_CHARS);
    const modelMarker = /\n…\[truncated: (\d+) more characters\]$/.exec(r.modelText);
    expect(modelMarker).not.toBeNull();
    expect(r.modelText.length - modelMarker![0].length + Number(modelMarker![1])).toBe(bytes);
    expect(r.modelText.startsWith('x'.repeat(1_000))).toBe(true);

    const output = outputOf(r);
    expect(Buffer.byteLength(JSON.stringify(output), 'utf8')).toBeLessThanOrEqual(STORED_BYTES);
    expect(output.content).toHaveLength(1);
    const stored = output.content[0].text as string;
    const storedMarker = /\n…\[truncated: (\d+) more characters\]$/.exec(stored);
    expect(storedMarker).not.toBeNull();
    expect(stored.length - storedMarker![0].length + Number(storedMarker![1])).toBe(bytes);
    // Stored keeps far more than the model gets.
    expect(stored.length).toBeGreaterThan(200_000);

    // A small output is untouched.
    const small = await call('alice', h.alicePlain, 'huge', { bytes: 100 });
    expect(small.modelText).toBe('x'.repeat(100));
  });

  it('every content type is mapped: text, image, audio, resource link, embedded resource, structured content', async () => {
    const r = await call('alice', h.alicePlain, 'mixed');
    expect(r.ok).toBe(true);
    expect(outputOf(r)).toEqual({
      content: [
        { type: 'text', text: 'mixed text' },
        { type: 'image', mimeType: 'image/png', data: TINY_PNG_BASE64 },
        { type: 'audio', mimeType: 'audio/wav', data: TINY_WAV_BASE64 },
        { type: 'resource_link', uri: 'test://mixed/linked.txt', name: 'linked.txt', mimeType: 'text/plain' },
        { type: 'resource', uri: 'test://mixed/embedded.txt', mimeType: 'text/plain', text: 'embedded text' },
      ],
      structuredContent: { kinds: ['text', 'image', 'audio', 'resource_link', 'resource'], count: 5 },
    });
    expect(r.modelText.split('\n')).toEqual([
      'mixed text',
      expect.stringMatching(/^\[image: image\/png, \d+ B\]$/),
      '[audio: audio/wav, 52 B]',
      '[resource: linked.txt test://mixed/linked.txt]',
      'embedded text',
    ]);
  });

  it('an endless SSE stream: the call ends at its timeout with a clear error while other calls go on, and the broker keeps working', async () => {
    const cancelledBefore = plain.stats.cancelledNotifications.length;
    const endless = call('alice', h.alicePlain, 'endless', {}, 3_000);
    // The same session answers other calls meanwhile.
    await waitFor(() => plain.stats.inFlight > 0, { timeoutMs: 5_000, description: 'the endless call to start' });
    const echo = await call('alice', h.alicePlain, 'echo', { text: 'meanwhile' });
    expect(echo.modelText).toBe('meanwhile');
    expect(plain.stats.inFlight).toBe(1); // endless is still running

    const r = await endless;
    expect(r).toMatchObject({ ok: false, output: null, errorText: 'the tool did not answer within 3 s' });
    expect(r.durationMs).toBeGreaterThanOrEqual(3_000);
    expect(r.durationMs).toBeLessThan(8_000);
    await waitFor(() => plain.stats.cancelledNotifications.length > cancelledBefore && plain.stats.inFlight === 0, {
      timeoutMs: 5_000, description: 'the endless handler to be cancelled',
    });
    expect((await call('alice', h.alicePlain, 'echo', { text: 'after endless' })).modelText).toBe('after endless');
    expect(brokerAlive()).toBe(true);
  });

  it('session expiry: the server forgets the session (404), the broker initializes again and the call runs once', async () => {
    await call('alice', h.alicePlain, 'echo', { text: 'warm' });
    const before = {
      init: plain.stats.initializeCount,
      notFound: plain.stats.unknownSessionCount,
      echo: plain.stats.callsByTool['echo'] ?? 0,
      calls: plain.stats.toolCalls.length,
    };
    plain.forgetSessions();
    const r = await call('alice', h.alicePlain, 'echo', { text: 'after expiry' });
    expect(r).toMatchObject({ ok: true, modelText: 'after expiry' });
    expect(plain.stats.unknownSessionCount).toBe(before.notFound + 1); // the call on the old session
    expect(plain.stats.initializeCount).toBe(before.init + 1); // one new session
    expect(plain.stats.callsByTool['echo']).toBe(before.echo + 1); // run once, not twice
    const after = plain.stats.toolCalls.slice(before.calls);
    expect(after).toHaveLength(1);
    expect(plain.stats.sessionTokens).toHaveProperty(after[0]!.sessionId);

    // The server closing the session (and its streams) instead: the next call still runs exactly once.
    const echoes = plain.stats.callsByTool['echo']!;
    await plain.expireSessions();
    expect((await call('alice', h.alicePlain, 'echo', { text: 'after close' })).modelText).toBe('after close');
    expect(plain.stats.callsByTool['echo']).toBe(echoes + 1);
  });

  it('a bearer-protected server: the call carries the token; a wrong token is a listing error naming the server, and nothing crashes', async () => {
    expect(await whoami('alice', h.aliceSecured)).toMatchObject({ token: ALICE_TOKEN.slice(-4) });

    const unauthorizedBefore = secured.stats.unauthorizedCount;
    const listed = await tools(alice, h.aliceWrong);
    expect(listed.errors).toHaveLength(1);
    expect(listed.errors[0]).toMatchObject({ serverName: 'wrong', message: expect.stringMatching(/401|unauthorized/i) });
    expect(listed.errors[0]!.message).not.toContain(WRONG_TOKEN);
    // The other server of the harness is listed; the wrong one's tools are not.
    expect(listed.items.length).toBeGreaterThan(0);
    expect(listed.items.every((t) => t.serverId !== listed.errors[0]!.serverId)).toBe(true);
    expect(secured.stats.unauthorizedCount).toBeGreaterThan(unauthorizedBefore);
    const viaNats = await broker.listTools({ userId: 'alice', harnessId: h.aliceWrong });
    expect(viaNats.ok && viaNats.data.errors.map((e) => e.serverName)).toEqual(['wrong']);

    // The broker still serves the same server with the right token, for this user and for another.
    expect(await whoami('alice', h.aliceSecured)).toMatchObject({ token: ALICE_TOKEN.slice(-4) });
    expect(await whoami('bob', h.bobSecured)).toMatchObject({ token: BOB_TOKEN.slice(-4) });
    expect(brokerAlive()).toBe(true);
  });

  it('two users on the same server never share an MCP session (with and without bearer tokens)', async () => {
    // Interleaved and concurrent, several calls each.
    const [a1, b1, a2, b2] = await Promise.all([
      whoami('alice', h.aliceSecured), whoami('bob', h.bobSecured), whoami('alice', h.aliceSecured), whoami('bob', h.bobSecured),
    ]);
    expect([a1.token, a2.token]).toEqual([ALICE_TOKEN.slice(-4), ALICE_TOKEN.slice(-4)]);
    expect([b1.token, b2.token]).toEqual([BOB_TOKEN.slice(-4), BOB_TOKEN.slice(-4)]);
    const aliceSessions = new Set([a1.sessionId, a2.sessionId]);
    const bobSessions = new Set([b1.sessionId, b2.sessionId]);
    for (const s of aliceSessions) expect(bobSessions.has(s)).toBe(false);
    // What the server saw: every session initialized with one user's token only ever carried that token.
    for (const s of aliceSessions) expect(secured.stats.sessionTokens[s]).toBe(ALICE_TOKEN);
    for (const s of bobSessions) expect(secured.stats.sessionTokens[s]).toBe(BOB_TOKEN);
    for (const c of secured.stats.toolCalls) expect(c.token).toBe(secured.stats.sessionTokens[c.sessionId]);

    // No authentication at all: still a session per user.
    const [pa, pb] = await Promise.all([whoami('alice', h.alicePlain), whoami('bob', h.bobPlain)]);
    expect(pa.token).toBe('anonymous');
    expect(pb.token).toBe('anonymous');
    expect(pa.sessionId).not.toBe(pb.sessionId);
    const [pa2, pb2] = await Promise.all([whoami('alice', h.alicePlain), whoami('bob', h.bobPlain)]);
    expect(pa2.sessionId).toBe(pa.sessionId); // each user's session is reused
    expect(pb2.sessionId).toBe(pb.sessionId);
  });

  it('tools/list_changed: after the server adds a tool, the next listing through Harness shows it and it can be called', async () => {
    const before = await tools(alice, h.aliceChanging);
    expect(before.errors).toEqual([]);
    expect(before.items.map((t) => t.name)).not.toContain('late_tool');
    // The notification travels on the session's standalone GET stream: wait until it is open.
    await waitFor(() => changing.stats.standaloneStreams > 0, { timeoutMs: 5_000, description: 'the standalone SSE stream' });
    changing.addTool('late_tool');
    const fresh = await waitFor(
      async () => (await tools(alice, h.aliceChanging)).items.find((t) => t.name === 'late_tool'),
      { timeoutMs: 10_000, description: 'late_tool to be listed' },
    );
    expect(fresh.originalName).toBe('late_tool');
    const r = await call('alice', h.aliceChanging, 'late_tool', { text: 'new tool works' });
    expect(r).toMatchObject({ ok: true, modelText: 'new tool works' });
  });
});
