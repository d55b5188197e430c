import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { getFreePort, repoRoot, startSystem, waitFor, type System } from '@harness/testing';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { assertWellFormed, Client, readUntilTerminals, sim } from './support/client.js';
import { Browser, signInWithDevIdp } from './support/sign-in.js';

/**
 * docker-compose.yml's Redis ACL users, for real: a redis-server started with the compose file's own `--user` rules
 * (passwords filled in), the services on it as compose wires them (the mcp-broker and the gateway with their users,
 * chat and auth with none), the namespace `harness` those rules name. Tool calls, their cancellation, the queue
 * board and the metrics work; what the rules forbid is refused.
 */
const PASSWORDS: Record<string, string> = {
  REDIS_MCP_BROKER_PASSWORD: randomBytes(12).toString('hex'),
  REDIS_GATEWAY_PASSWORD: randomBytes(12).toString('hex'),
};

/** The `command` of the redis service in docker-compose.yml as argv, `${VAR:?…}` replaced by PASSWORDS. */
function composeRedisArgs(): string[] {
  const compose = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
  const block = /\n {2}redis:\n[\s\S]*?\n {4}command: >-\n((?: {6}.*\n)+)/.exec(compose)?.[1];
  if (!block) throw new Error('docker-compose.yml: no folded `command: >-` under services.redis');
  const line = block.split('\n').map((l) => l.trim()).filter(Boolean).join(' ')
    .replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_, name: string) => {
      if (!PASSWORDS[name]) throw new Error(`docker-compose.yml's redis command needs ${name}: add it to PASSWORDS`);
      return PASSWORDS[name];
    });
  const [program, ...args] = line.split(/\s+/).map((t) => (t === '""' ? '' : t));
  expect(program).toBe('redis-server');
  return args;
}

describe('Redis ACL users (docker-compose.yml)', () => {
  let redisProcess: ChildProcess;
  let redisDir: string;
  let port: number;
  let system: System;
  let server: McpTestServerHandle;
  let alice: Client;
  let harnessId: string;
  const clients: Redis[] = [];

  const redisAs = (user?: string, password?: string) => {
    const r = new Redis({ host: '127.0.0.1', port, username: user, password, maxRetriesPerRequest: 0, lazyConnect: true, enableReadyCheck: false, retryStrategy: () => null });
    r.on('error', () => undefined);
    clients.push(r);
    return r;
  };
  const noperm = (p: Promise<unknown>) => expect(p).rejects.toThrow(/NOPERM/);

  beforeAll(async () => {
    port = await getFreePort();
    redisDir = mkdtempSync(join(tmpdir(), 'harness-redis-acl-'));
    redisProcess = spawn('redis-server', [...composeRedisArgs(), '--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir], { stdio: 'ignore' });
    await waitFor(async () => (await redisAs().ping()) === 'PONG', { description: 'the ACL redis-server' });

    server = await startMcpTestServer();
    const url = (user?: string) => `redis://${user ? `${user}:${PASSWORDS[`REDIS_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`]}@` : ''}127.0.0.1:${port}`;
    system = await startSystem({
      label: 'redis-acl',
      // The namespace the compose rules name (this system has its own NATS and Redis: nothing else shares it).
      env: { HARNESS_NATS_NAMESPACE: 'harness', HARNESS_ADMIN_USERS: 'root', REDIS_URL: url() },
      serviceEnv: { gateway: { REDIS_URL: url('gateway') }, 'mcp-broker': { REDIS_URL: url('mcp-broker') } },
    });
    alice = await Client.as(system, 'alice');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'test', url: server.url }] })).id;
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await system?.stop();
    await server?.close();
    redisProcess?.kill('SIGTERM');
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  });

  it('runs tool calls through BullMQ and cancels one (the broker\'s user is enough), with no NOPERM anywhere', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('use tools', { toolCalls: [{ name: 'echo', arguments: { text: 'through the acl' } }] }));
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    assertWellFormed(events);
    expect(JSON.stringify(events.find((e) => e.chunk.type === 'tool-output-available')?.chunk.output)).toContain('through the acl');

    // A slow call interrupted: chat cancels it, the broker publishes the cancel on its Redis channel.
    const conv2 = (await alice.createConversation(harnessId)).id;
    const stream2 = await alice.events(conv2, { after: 0 });
    await alice.send(conv2, sim('slow tool', { toolCalls: [{ name: 'slow', arguments: { ms: 20_000 } }] }));
    await stream2.collectUntil((item) => JSON.stringify(item).includes('tool-input-available'), { timeoutMs: 15_000 });
    const started = Date.now();
    expect((await alice.call('POST', `/v1/conversations/${conv2}/interrupt`)).status).toBeLessThan(300);
    await readUntilTerminals(stream2, 1, 15_000);
    stream2.close();
    expect(Date.now() - started).toBeLessThan(10_000);

    expect(system.logTail(2_000)).not.toMatch(/NOPERM|WRONGPASS|NOAUTH/);
  });

  it('serves the queue board (reads and actions) and the queue metrics with the gateway\'s user', async () => {
    const admin = { authorization: `Bearer ${await system.token('root')}` };
    const api = await fetch(`${system.gatewayUrl}/admin/queues/api/queues`, { headers: admin });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(body.queues[0]?.counts.completed).toBeGreaterThanOrEqual(1);
    // The board's only actions (retry, clean) work with the gateway's Redis user.
    for (const action of ['retry/failed', 'clean/completed']) {
      expect((await fetch(`${system.gatewayUrl}/admin/queues/api/queues/mcp-tool-calls/${action}`, { method: 'PUT', headers: admin })).status).toBe(200);
    }
    const metrics = await (await fetch(`${system.gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/^queue_up\{queue="mcp-tool-calls"\} 1$/m);
    expect(system.logTail(2_000)).not.toMatch(/NOPERM|WRONGPASS|NOAUTH/);
  });

  it('keeps sign-in states with the gateway\'s user (a sign-in completes, and its state is single use)', async () => {
    const browser = new Browser();
    const { callback, callbackUrl } = await signInWithDevIdp(browser, system.gatewayUrl, 'acl-user');
    expect(callback.status).toBe(302);
    expect((await browser.request(`${system.gatewayUrl}/v1/me`)).status).toBe(200);
    expect((await browser.request(callbackUrl)).status).toBe(400);
    expect(system.logTail(2_000)).not.toMatch(/NOPERM|WRONGPASS|NOAUTH/);
  });

  it('refuses what the rules forbid: anonymous reads, foreign keys and channels, admin commands, wrong passwords', async () => {
    const anonymous = redisAs();
    await noperm(anonymous.get('bull:harness:mcp-tool-calls:id'));
    await noperm(anonymous.set('harness:rl:x', '1'));
    await noperm(anonymous.keys('*'));

    const gateway = redisAs('gateway', PASSWORDS.REDIS_GATEWAY_PASSWORD);
    expect(await gateway.set('harness:rl:probe', '1')).toBe('OK'); // its own prefix (rate limits)
    expect(await gateway.hgetall('bull:harness:mcp-tool-calls:meta')).toBeDefined();
    await noperm(gateway.set('other:key', '1'));
    await noperm(gateway.flushall());
    await noperm(gateway.config('GET', 'maxmemory'));
    await noperm(gateway.call('CLIENT', 'LIST'));
    await noperm(gateway.publish('bull:harness:mcp-tool-calls:cancel', '[]'));
    await noperm(gateway.subscribe('bull:harness:mcp-tool-calls:cancel'));

    const broker = redisAs('mcp-broker', PASSWORDS.REDIS_MCP_BROKER_PASSWORD);
    expect(await broker.publish('bull:harness:mcp-tool-calls:cancel', '[]')).toBeGreaterThanOrEqual(1); // the broker itself listens
    await noperm(broker.set('harness:rl:probe', '0')); // the gateway's keys
    await noperm(broker.acl('LIST'));
    await noperm(broker.call('SHUTDOWN'));

    await expect(redisAs('gateway', 'wrong').get('harness:rl:probe')).rejects.toThrow(/WRONGPASS/);
  });
});
