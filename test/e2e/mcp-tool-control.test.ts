import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startSystem, waitFor, type System } from '@harness/testing';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { assertWellFormed, Client, readUntilTerminals, sim, textOf, toStreamEvent, type StreamEvent } from './support/client.js';

/**
 * Control over running tool calls: an interrupt cancels them on the server (and a waiting one never reaches it), the
 * per-server cap holds calls back, and a broker killed mid-call ends the call exactly once, without re-running it.
 */
describe('MCP tool calls under control', () => {
  let system: System;
  let alice: Client;
  let server: McpTestServerHandle;
  let harnessId: string;
  let redis: Redis;
  let queue: Queue;

  const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.chunk.type === type);
  const slowCalls = () => server.stats.callsByTool['slow'] ?? 0;

  beforeAll(async () => {
    server = await startMcpTestServer();
    system = await startSystem({
      label: 'mcp-tool-control',
      env: { HARNESS_MCP_PER_SERVER_CONCURRENCY: '2', HARNESS_MCP_TOOL_TIMEOUT_MS: '5000' },
    });
    alice = await Client.as(system, 'alice');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'test', url: server.url }] })).id;
    redis = new Redis(system.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue('mcp-tool-calls', { connection: redis, prefix: `bull:${system.natsNamespace}` });
  }, 90_000);

  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await system?.stop();
    await server?.close();
  });

  const queueIdle = () =>
    waitFor(async () => {
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed');
      return counts['active'] === 0 && counts['waiting'] === 0 && counts['delayed'] === 0;
    }, { timeoutMs: 20_000, description: 'the tool-calls queue to be idle' });

  it('interrupt cancels the running calls on the server, the waiting one never starts, and the history stays valid', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const callsBefore = slowCalls();
    const cancelledBefore = server.stats.cancelledNotifications.length;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('three slow tools', {
      toolCalls: [1, 2, 3].map(() => ({ name: 'slow', arguments: { ms: 30_000 } })),
    }));
    // The cap is 2 per server: two calls run, the third waits for a slot.
    await waitFor(() => server.stats.inFlight === 2, { description: 'two slow calls running on the server' });
    expect((await alice.call('POST', `/v1/conversations/${conv}/interrupt`)).status).toBe(202);
    const events = await readUntilTerminals(stream, 1, 20_000);
    stream.close();
    assertWellFormed(events);
    expect(events.at(-1)!.chunk.type).toBe('abort');
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e.chunk.errorText).toMatch(/cancelled/);

    await waitFor(() => {
      expect({ cancelled: server.stats.cancelledNotifications.length - cancelledBefore, inFlight: server.stats.inFlight }).toEqual({ cancelled: 2, inFlight: 0 });
      return true;
    }, { description: 'notifications/cancelled for both running calls' });
    await queueIdle();
    expect(slowCalls() - callsBefore).toBe(2);

    const answer = (await alice.messages(conv)).at(-1);
    expect(answer.status).toBe('interrupted');
    const parts = answer.parts.filter((p: { type: string }) => p.type === 'dynamic-tool');
    expect(parts.map((p: { state: string }) => p.state)).toEqual(['output-error', 'output-error', 'output-error']);

    // The next turn sends the whole history to the LLM; the simulator, like OpenAI, refuses unanswered tool calls.
    const next = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'and now?');
    const all = await readUntilTerminals(next, 2, 20_000);
    next.close();
    expect(all.at(-1)!.chunk.type).toBe('finish');
    expect((await alice.messages(conv)).at(-1).status).toBe('complete');
  });

  it('at most two calls run at once on one server: the third starts when one of the first two has finished', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const stream = await alice.events(conv, { after: 0 });
    const started = Date.now();
    await alice.send(conv, sim('four slow tools', {
      toolCalls: [1, 2, 3, 4].map(() => ({ name: 'slow', arguments: { ms: 500 } })),
    }));
    const firstInput: number[] = [];
    const outputs: number[] = [];
    await stream.collectUntil((item) => {
      const e = toStreamEvent(item);
      if (e?.chunk.type === 'tool-input-available') firstInput.push(Date.now() - started);
      if (e?.chunk.type === 'tool-output-available') outputs.push(Date.now() - started);
      return e?.chunk.type === 'finish';
    }, { timeoutMs: 30_000 });
    stream.close();
    expect(outputs).toHaveLength(4);
    // No call starts before its input is available; the third can only start once a 500 ms call ended.
    expect(outputs[2]! - firstInput[0]!).toBeGreaterThanOrEqual(950);
  });

  it('a finished call retried from the queue (e.g. on the board) is not run on the server again', async () => {
    const completed = await queue.getCompleted();
    const job = completed.find((j) => j.data?.name === 'slow' && j.returnvalue?.ok === true);
    expect(job).toBeDefined();
    const callsBefore = slowCalls();
    await job!.retry('completed');
    const rerun = await waitFor(async () => {
      const again = await queue.getJob(job!.id!);
      return again && (await again.isCompleted()) && again.returnvalue?.ok === false ? again : null;
    }, { timeoutMs: 15_000, description: 'the retried job to complete' });
    expect(rerun.returnvalue.errorText).toMatch(/already started once/);
    expect(slowCalls()).toBe(callsBefore);
  });

  it('a broker killed mid-call: the call ends once, with an error, is not run again, and the run goes on', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const callsBefore = slowCalls();
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('slow tool', { toolCalls: [{ name: 'slow', arguments: { ms: 3_000 } }] }));
    await waitFor(() => server.stats.inFlight === 1, { description: 'the slow call running on the server' });
    system.process('mcp-broker').kill('SIGKILL');
    await system.restart('mcp-broker');

    const events = await readUntilTerminals(stream, 1, 45_000);
    stream.close();
    assertWellFormed(events);
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(1);
    expect(ofType(events, 'tool-output-available')).toHaveLength(0);
    expect(events.at(-1)!.chunk.type).toBe('finish');
    expect(textOf(events)).toContain('Tool results: Error:');

    // The restarted broker finds the job its dead predecessor held and fails it rather than running it again.
    const failed = await waitFor(async () => {
      const jobs = await queue.getFailed();
      return jobs.find((j) => j.data?.name === 'slow' && /stalled/i.test(j.failedReason ?? ''));
    }, { timeoutMs: 30_000, description: 'the stalled job failed by the restarted broker' });
    expect(failed.attemptsMade).toBeLessThanOrEqual(1);
    await queueIdle();
    expect(slowCalls() - callsBefore).toBe(1);
  }, 90_000);
});
