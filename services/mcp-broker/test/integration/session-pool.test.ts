import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createOutboundPolicy, OutboundRefusedError } from '@harness/outbound';
import { SessionPool, type SessionPoolOptions } from '../../src/sessions/session-pool.js';
import type { SessionKey } from '../../src/sessions/session-key.js';
import { SessionPoolError } from '../../src/sessions/session-pool-error.js';
import { startMcpTestServer, type McpTestServerHandle } from '../../../../tools/mcp-test-server/src/index.js';

const TOKENS = { alice: 'token-alice-A1c3', bob: 'token-bob-B0b7', carol: 'token-carol-C4r1' };
type User = keyof typeof TOKENS;

const policy = createOutboundPolicy({ allowlist: ['127.0.0.0/8', 'localhost'] });
const pools: SessionPool[] = [];
let srv: McpTestServerHandle;

function makePool(overrides: Partial<SessionPoolOptions> = {}): SessionPool {
  const pool = new SessionPool({
    policy,
    idleTtlMs: 60_000,
    maxPerServer: 10,
    maxTotal: 100,
    maxPerUser: 100,
    maxResponseBytes: 16 * 1024 * 1024,
    clientInfo: { name: 'harness-test', version: '0.0.0' },
    connectTimeoutMs: 3_000,
    ...overrides,
  });
  pools.push(pool);
  return pool;
}

const keyFor = (user: User, credentialVersion = 'v1', serverUrl = srv.url): SessionKey => ({
  userId: user,
  serverUrl,
  credentialVersion,
});
const bearer =
  (token: string) =>
  async (): Promise<Record<string, string>> => ({ Authorization: `Bearer ${token}` });

async function whoami(client: Client): Promise<{ token: string; sessionId: string }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  return result.structuredContent as { token: string; sessionId: string };
}

async function echo(client: Client, text: string): Promise<string> {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  return (result.content as Array<{ type: string; text: string }>)[0]!.text;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeEach(async () => {
  srv = await startMcpTestServer({ bearerTokens: Object.values(TOKENS) });
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  await srv.close();
});

describe('SessionPool', () => {
  it('reuses a session per key and never shares one between users or credentials', async () => {
    const pool = makePool();
    const first = await pool.call(keyFor('alice'), bearer(TOKENS.alice), whoami);
    const second = await pool.call(keyFor('alice'), bearer(TOKENS.alice), whoami);
    expect(srv.stats.initializeCount).toBe(1);
    expect(second.sessionId).toBe(first.sessionId);
    expect(first.token).toBe('A1c3');

    const bob = await pool.call(keyFor('bob'), bearer(TOKENS.bob), whoami);
    expect(srv.stats.initializeCount).toBe(2);
    expect(bob.token).toBe('B0b7');
    expect(bob.sessionId).not.toBe(first.sessionId);

    const rotated = await pool.call(keyFor('alice', 'v2'), bearer(TOKENS.alice), whoami);
    expect(srv.stats.initializeCount).toBe(3);
    expect(rotated.sessionId).not.toBe(first.sessionId);
  });

  it('shares one connect between concurrent acquires of a key', async () => {
    const pool = makePool();
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => pool.acquire(keyFor('alice'), bearer(TOKENS.alice))),
    );
    expect(new Set(clients).size).toBe(1);
    expect(srv.stats.initializeCount).toBe(1);
  });

  it('closes idle sessions with a DELETE', async () => {
    const pool = makePool({ idleTtlMs: 200 });
    await pool.call(keyFor('alice'), bearer(TOKENS.alice), whoami);
    await waitFor(() => srv.stats.deleteCount === 1 && pool.size === 0);
    expect(srv.stats.sessionsOpen).toBe(0);
  });

  it('reconnects once and retries when the server has forgotten the session', async () => {
    const pool = makePool();
    await pool.call(keyFor('alice'), bearer(TOKENS.alice), whoami);
    await srv.expireSessions();
    const text = await pool.call(keyFor('alice'), bearer(TOKENS.alice), (client) => echo(client, 'after expiry'));
    expect(text).toBe('after expiry');
    expect(srv.stats.initializeCount).toBe(2);
  });

  it('evicts the least recently used idle session when a server is at its cap', async () => {
    const pool = makePool({ maxPerServer: 2 });
    await pool.call(keyFor('alice'), bearer(TOKENS.alice), whoami);
    await pool.call(keyFor('bob'), bearer(TOKENS.bob), whoami);
    await pool.call(keyFor('carol'), bearer(TOKENS.carol), whoami);
    await waitFor(() => srv.stats.deleteCount === 1);
    expect(pool.size).toBe(2);

    await pool.call(keyFor('bob'), bearer(TOKENS.bob), whoami);
    expect(srv.stats.initializeCount).toBe(3);
    await pool.call(keyFor('alice'), bearer(TOKENS.alice), whoami);
    expect(srv.stats.initializeCount).toBe(4);
  });

  it("caps one user's sessions: their least recently used idle one is closed first, then the user (only) is refused", async () => {
    const pool = makePool({ maxPerUser: 2 });
    // One user, three credentials (three session keys): the third closes the first.
    await pool.call(keyFor('alice', 'v1'), bearer(TOKENS.alice), whoami);
    await pool.call(keyFor('alice', 'v2'), bearer(TOKENS.alice), whoami);
    await pool.call(keyFor('alice', 'v3'), bearer(TOKENS.alice), whoami);
    await waitFor(() => srv.stats.deleteCount === 1);
    expect(pool.size).toBe(2);

    // Both of alice's sessions busy: a third is refused at once, with a clear error, while bob is served.
    const busy = ['v2', 'v3'].map((v) =>
      pool.call(keyFor('alice', v), bearer(TOKENS.alice), (client) => client.callTool({ name: 'slow', arguments: { ms: 800 } })),
    );
    await waitFor(() => srv.stats.inFlight === 2);
    const refused = pool.call(keyFor('alice', 'v4'), bearer(TOKENS.alice), whoami);
    await expect(refused).rejects.toBeInstanceOf(SessionPoolError);
    await expect(refused).rejects.toMatchObject({ code: 'user_session_limit', message: expect.stringMatching(/at most 2/) });
    expect((await pool.call(keyFor('bob'), bearer(TOKENS.bob), whoami)).token).toBe('B0b7');
    await Promise.all(busy);
    // Idle again: the next key of alice's closes one of hers.
    expect((await pool.call(keyFor('alice', 'v4'), bearer(TOKENS.alice), whoami)).token).toBe('A1c3');
    expect(pool.size).toBe(3);
  });

  it('fails with pool_exhausted when every session is busy past the wait', async () => {
    const pool = makePool({ maxTotal: 1, acquireWaitMs: 200 });
    const busy = pool.call(keyFor('alice'), bearer(TOKENS.alice), (client) =>
      client.callTool({ name: 'slow', arguments: { ms: 600 } }),
    );
    await waitFor(() => srv.stats.inFlight === 1);
    await expect(pool.acquire(keyFor('bob'), bearer(TOKENS.bob))).rejects.toMatchObject({ code: 'pool_exhausted' });
    await busy;
  });

  it('backs off a server that fails to connect, without crashing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const { server, connections } = await startRefusingServer();
    try {
      const pool = makePool();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
      const key = keyFor('alice', 'v1', url);
      await expect(pool.acquire(key, bearer(TOKENS.alice))).rejects.not.toBeInstanceOf(SessionPoolError);
      const attempts = connections.count;
      expect(attempts).toBeGreaterThan(0);
      await expect(pool.acquire(key, bearer(TOKENS.alice))).rejects.toMatchObject({ code: 'server_backoff' });
      expect(connections.count).toBe(attempts);

      server.close();
      await once(server, 'close');
      const closedPort = keyFor('alice', 'v1', url.replace('/mcp', '/closed'));
      await expect(pool.acquire(closedPort, bearer(TOKENS.alice))).rejects.toThrow();
      await expect(pool.acquire(closedPort, bearer(TOKENS.alice))).rejects.toMatchObject({ code: 'server_backoff' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      server.close();
    }
  });

  it('refuses loopback servers when the policy does not allowlist them', async () => {
    const pool = makePool({ policy: createOutboundPolicy({ allowlist: [] }) });
    await expect(pool.acquire(keyFor('alice'), bearer(TOKENS.alice))).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(srv.stats.initializeCount).toBe(0);
  });
});

/** Accepts TCP connections and drops them at once, counting attempts. */
async function startRefusingServer(): Promise<{ server: Server; connections: { count: number } }> {
  const connections = { count: 0 };
  const server = createServer((socket: Socket) => {
    connections.count++;
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, connections };
}
