import { startSystem, type System } from '@harness/testing';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { assertWellFormed, Client, readUntilTerminals, sim, textOf, toStreamEvent, type StreamEvent } from './support/client.js';

/** A model's tool calls run on the harness's MCP server through the mcp-broker, in parallel, and the run goes on. */
describe('MCP tool calls in a run', () => {
  let system: System;
  let alice: Client;
  let server: McpTestServerHandle;
  let harnessId: string;

  const ofType = (events: StreamEvent[], type: string) => events.filter((e) => e.chunk.type === type);

  beforeAll(async () => {
    server = await startMcpTestServer();
    system = await startSystem({ label: 'mcp-tool-calls' });
    alice = await Client.as(system, 'alice');
    const h = await alice.createHarness({ mcpServers: [{ name: 'test', url: server.url }] });
    harnessId = h.id;
    // One server: the names the model sees are the tools' own names.
    const tools = await alice.call<{ items: { name: string; originalName: string }[] }>('GET', `/v1/harnesses/${harnessId}/tools`);
    expect(tools.status).toBe(200);
    for (const name of ['echo', 'slow', 'fail']) {
      expect(tools.body.items.find((t) => t.originalName === name)?.name).toBe(name);
    }
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('runs the calls of a step in parallel, streams each output as it finishes, and continues the run', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('use tools', {
      toolCalls: [{ name: 'echo', arguments: { text: 'hi' } }, { name: 'slow', arguments: { ms: 600 } }],
    }));
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    assertWellFormed(events);

    const inputs = ofType(events, 'tool-input-available');
    expect(inputs.map((e) => e.chunk.toolName).sort()).toEqual(['echo', 'slow']);
    const idOf = (name: string) => inputs.find((e) => e.chunk.toolName === name)!.chunk.toolCallId as string;
    const outputs = ofType(events, 'tool-output-available');
    expect(outputs.map((e) => e.chunk.toolCallId)).toEqual([idOf('echo'), idOf('slow')]);
    expect(ofType(events, 'tool-output-error')).toEqual([]);
    expect(JSON.stringify(outputs[0]!.chunk.output)).toContain('hi');
    expect(JSON.stringify(outputs[1]!.chunk.output)).toContain('slept 600');

    const text = textOf(events);
    expect(text.startsWith('Tool results: ')).toBe(true);
    expect(text).toContain('hi');
    expect(text).toContain('slept 600');
    expect(events.at(-1)!.chunk.type).toBe('finish');

    const messages = await alice.messages(conv);
    const answer = messages.at(-1);
    expect(answer.role).toBe('assistant');
    const toolParts = answer.parts.filter((p: { type: string }) => p.type === 'dynamic-tool');
    expect(toolParts).toHaveLength(2);
    for (const p of toolParts) expect(p.state).toBe('output-available');
    expect(toolParts.map((p: { toolName: string }) => p.toolName).sort()).toEqual(['echo', 'slow']);
  });

  it('runs the two calls at the same time, not one after the other', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('use tools', {
      toolCalls: [{ name: 'slow', arguments: { ms: 600 } }, { name: 'slow', arguments: { ms: 600 } }],
    }));
    const started = Date.now();
    const times = new Map<string, number>();
    await stream.collectUntil((item) => {
      const e = toStreamEvent(item);
      if (!e) return false;
      const key = `${e.chunk.type}:${e.chunk.toolCallId}`;
      if (e.chunk.type.startsWith('tool-') && !times.has(key)) times.set(key, Date.now() - started);
      return e.chunk.type === 'finish';
    }, { timeoutMs: 30_000 });
    stream.close();
    const inputs = [...times].filter(([k]) => k.startsWith('tool-input-available:')).map(([, t]) => t);
    const outputs = [...times].filter(([k]) => k.startsWith('tool-output-available:')).map(([, t]) => t);
    expect(inputs).toHaveLength(2);
    expect(outputs).toHaveLength(2);
    expect(Math.max(...outputs) - Math.min(...inputs)).toBeLessThan(600 + 500);
  });

  it('a failing tool is a tool-output-error and the run still finishes', async () => {
    const conv = (await alice.createConversation(harnessId)).id;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('use tools', { toolCalls: [{ name: 'fail', arguments: { message: 'boom' } }] }));
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    assertWellFormed(events);
    const errors = ofType(events, 'tool-output-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.chunk.errorText).toContain('boom');
    expect(events.at(-1)!.chunk.type).toBe('finish');
    expect(textOf(events)).toContain('Tool results: ');
    const answer = (await alice.messages(conv)).at(-1);
    expect(answer.parts.find((p: { type: string }) => p.type === 'dynamic-tool')).toMatchObject({ state: 'output-error', toolName: 'fail' });
  });
});
