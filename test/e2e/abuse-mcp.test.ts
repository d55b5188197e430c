import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { queuePrefix, Queues, toolCallJobId } from '@harness/contracts';
import { signToolCall } from '@harness/crypto';
import { startSystem, waitFor, type System } from '@harness/testing';
import { startHostileMcpServer, startMcpTestServer, type HostileMcpServerHandle, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { testNamespace } from './support/broker.js';
import { Client, readUntilTerminals, sim, type StreamEvent } from './support/client.js';

const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const MAX_LISTING_BYTES = 1024 * 1024; // the default

/** Peak resident memory of a process, in bytes (Linux). */
function peakRss(pid: number): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) * 1024;
}

/**
 * A hostile MCP server (gzip bombs as JSON and as SSE, a huge listing) and jobs forged straight into the tool-call
 * queue cannot take the mcp-broker down, nor use another user's credentials: each ends with a clear error while
 * another user's run goes on, against the real system.
 */
describe('abuse of the mcp-broker', () => {
  const ns = testNamespace('abuse-mcp');
  let system: System;
  let hostile: HostileMcpServerHandle;
  let normal: McpTestServerHandle;
  let mallory: Client;
  let alice: Client;
  let malloryTools: string;
  let malloryListings: string;
  let aliceTools: string;
  let brokerExited = false;

  const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.chunk.type === type);
  const brokerUp = async () => {
    expect(brokerExited).toBe(false);
    expect((await fetch(`${system.gatewayUrl}/readyz`)).status).toBe(200);
  };

  beforeAll(async () => {
    [hostile, normal] = await Promise.all([startHostileMcpServer(), startMcpTestServer()]);
    system = await startSystem({
      label: 'abuse-mcp',
      env: { HARNESS_NATS_NAMESPACE: ns, HARNESS_MCP_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES), LOG_LEVEL: 'info' },
    });
    void system.process('mcp-broker').exited.then(() => (brokerExited = true));
    [mallory, alice] = await Promise.all([Client.as(system, 'mallory'), Client.as(system, 'alice')]);
    malloryTools = (await mallory.createHarness({ mcpServers: [{ name: 'hostile', url: hostile.url }] })).id;
    malloryListings = (await mallory.createHarness({
      mcpServers: [{ name: 'huge', url: hostile.hugeListingUrl }, { name: 'bomb', url: hostile.bombListingUrl }],
    })).id;
    aliceTools = (await alice.createHarness({ mcpServers: [{ name: 'test', url: normal.url }] })).id;
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await Promise.all([hostile?.close(), normal?.close()]);
  });

  it("ends calls answered with gzip bombs (JSON and SSE) with a clear error, while another user's run completes", async () => {
    const [malloryConv, aliceConv] = await Promise.all([mallory.createConversation(malloryTools), alice.createConversation(aliceTools)]);
    const [malloryStream, aliceStream] = await Promise.all([mallory.events(malloryConv.id, { after: 0 }), alice.events(aliceConv.id, { after: 0 })]);
    await Promise.all([
      mallory.send(malloryConv.id, sim('bombs', { toolCalls: [{ name: 'bomb_json', arguments: {} }, { name: 'bomb_sse', arguments: {} }] })),
      alice.send(aliceConv.id, sim('echo', { toolCalls: [{ name: 'echo', arguments: { text: 'hello from alice' } }] })),
    ]);
    const [malloryEvents, aliceEvents] = await Promise.all([readUntilTerminals(malloryStream, 1, 60_000), readUntilTerminals(aliceStream, 1, 60_000)]);
    malloryStream.close();
    aliceStream.close();

    const errors = ofType(malloryEvents, 'tool-output-error');
    const inputs = ofType(malloryEvents, 'tool-input-available');
    const errorOf = (name: string) => errors.find((e) => e.chunk.toolCallId === inputs.find((i) => i.chunk.toolName === name)?.chunk.toolCallId)?.chunk.errorText;
    expect(errors).toHaveLength(2);
    expect(errorOf('bomb_json')).toMatch(new RegExp(`^the tool call failed: The response body from 127\\.0\\.0\\.1:\\d+ is larger than ${MAX_RESPONSE_BYTES} bytes\\.$`));
    expect(errorOf('bomb_sse')).toMatch(new RegExp(`^the tool call failed: An SSE event from 127\\.0\\.0\\.1:\\d+ is larger than ${MAX_RESPONSE_BYTES} bytes\\.$`));
    expect(malloryEvents.at(-1)!.chunk.type).toBe('finish');
    expect(hostile.stats['tools/call:bomb_json']).toBe(1);
    expect(hostile.stats['tools/call:bomb_sse']).toBe(1);

    expect(ofType(aliceEvents, 'tool-output-error')).toEqual([]);
    const outputs = ofType(aliceEvents, 'tool-output-available');
    expect(outputs).toHaveLength(1);
    expect(JSON.stringify(outputs[0]!.chunk.output)).toContain('hello from alice');
    expect(aliceEvents.at(-1)!.chunk.type).toBe('finish');

    await brokerUp();
    // Each bomb is 256 MiB once decoded: the broker never held one.
    expect(peakRss(system.process('mcp-broker').pid)).toBeLessThan(400 * 1024 * 1024);
  }, 90_000);

  it("reports a huge listing and a bombed one as errors entries, while another user's listing at the same time is whole", async () => {
    type Listing = { items: { name: string }[]; errors: { serverName: string; message: string }[] };
    const [hostileListing, aliceListing] = await Promise.all([
      mallory.call<Listing>('GET', `/v1/harnesses/${malloryListings}/tools`),
      alice.call<Listing>('GET', `/v1/harnesses/${aliceTools}/tools`),
    ]);
    expect(hostileListing.status).toBe(200);
    expect(hostileListing.body.items).toEqual([]);
    const message = (serverName: string) => hostileListing.body.errors.find((e) => e.serverName === serverName)?.message;
    expect(message('huge')).toBe(`the MCP server's tool list is larger than ${MAX_LISTING_BYTES} bytes (all its tools/list pages together)`);
    expect(message('bomb')).toMatch(new RegExp(`^The response body from 127\\.0\\.0\\.1:\\d+ is larger than ${MAX_RESPONSE_BYTES} bytes\\.$`));

    expect(aliceListing.status).toBe(200);
    expect(aliceListing.body.errors).toEqual([]);
    expect(aliceListing.body.items.map((t) => t.name)).toContain('echo');
    await brokerUp();
  }, 60_000);

  it("refuses a job put straight into the queue with another user's id and no valid signature: the MCP server sees no call", async () => {
    const redis = new Redis(system.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(Queues.toolCalls, { connection: redis, prefix: queuePrefix() });
    expect(queuePrefix()).toBe(`bull:${system.natsNamespace}`);
    try {
      const call = (toolCallId: string, signedAt = Date.now()) => ({
        userId: 'alice', harnessId: aliceTools, toolCallId, name: 'echo', input: { text: `forged ${toolCallId}` }, timeoutMs: 10_000, signedAt,
      });
      const key = Buffer.from(system.jobSigningKey);
      // Each under the job id a real call would have, so only what the test varies makes the difference.
      const idOf = (data: { toolCallId: string }) => toolCallJobId('alice', data.toolCallId);
      const staleAt = Date.now() - 2 * 3_600_000;
      const forged = [
        call('unsigned'),
        { ...call('made-up'), signature: `v1.${randomBytes(32).toString('base64url')}` },
        { ...call('other-key'), signature: signToolCall(randomBytes(32), call('other-key')) },
        // Signed for another call: the signature does not carry over.
        { ...call('replayed'), signature: signToolCall(key, call('genuine-elsewhere')) },
        // Signed two hours ago: a copy of a once genuine call does not run later.
        { ...call('stale', staleAt), signature: signToolCall(key, call('stale', staleAt)) },
      ];
      const echoesBefore = normal.stats.callsByTool['echo'] ?? 0;
      // A genuine signed call copied under another job id (it would dodge the call's "started" mark) is refused too.
      const copied = call('copied');
      const jobs = await Promise.all([
        ...forged.map((data) => queue.add('call', data, { jobId: idOf(data) })),
        queue.add('call', { ...copied, signature: signToolCall(key, copied) }, { jobId: 'abuse-copied-elsewhere' }),
      ]);
      for (const job of jobs) {
        const done = await waitFor(async () => {
          // finishedOn: this snapshot of the job was read after it ended (its result is in it).
          const j = await queue.getJob(job.id!);
          return j?.finishedOn !== undefined && (await j.getState()) === 'completed' && j;
        }, { description: `job ${job.id} to end` });
        expect(done.returnvalue).toMatchObject({ ok: false, errorText: expect.stringMatching(/not signed by Harness/) });
      }
      expect(normal.stats.callsByTool['echo'] ?? 0).toBe(echoesBefore);
      expect(normal.stats.toolCalls.filter((c) => c.tool === 'echo')).toHaveLength(echoesBefore);
      await waitFor(() => readFileSync(system.logFile, 'utf8').split('refused a tool call job without a valid signature').length - 1 >= jobs.length, {
        description: 'a warning per refused job',
      });

      // The same job signed with the system's key does run: the refusals above were for the signature alone.
      const genuine = call('genuine');
      const signed = await queue.add('call', { ...genuine, signature: signToolCall(key, genuine) }, { jobId: idOf(genuine) });
      const ran = await waitFor(async () => {
        const j = await queue.getJob(signed.id!);
        return j?.finishedOn !== undefined && (await j.getState()) === 'completed' && j;
      }, { description: 'the signed job to end' });
      expect(ran.returnvalue).toMatchObject({ ok: true });
      expect(normal.stats.callsByTool['echo']).toBe(echoesBefore + 1);
      await brokerUp();
    } finally {
      await queue.close();
      await redis.quit();
    }
  }, 60_000);
});
