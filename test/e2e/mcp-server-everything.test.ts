import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot, startSystem, waitFor, type System } from '@harness/testing';
import type { CallToolResult } from '@harness/contracts';
import { BrokerCommands, testNamespace } from './support/broker.js';
import { startChildServer, type ChildServer } from './support/child-server.js';
import { Client } from './support/client.js';

/**
 * The reference MCP server (@modelcontextprotocol/server-everything), run as its own process, through Harness: the
 * tools listed by the gateway's public API, called through the mcp-broker's callTool command, every content type
 * mapped; and the same server in its legacy HTTP+SSE mode, reached through the broker's fallback.
 */
describe('MCP: the reference server-everything through the broker', () => {
  const EVERYTHING = join(repoRoot, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
  const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
  const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ns = testNamespace('everything');
  let streamable: ChildServer;
  let legacy: ChildServer;
  let system: System;
  let broker: BrokerCommands;
  let alice: Client;
  let userId: string;
  let harnessId: string;
  let legacyHarnessId: string;

  interface ToolsBody {
    items: { name: string; originalName: string; serverId: string; description: string; inputSchema: Record<string, any> }[];
    errors: { serverId: string; serverName: string; message: string }[];
  }
  type Output = { content: any[]; structuredContent?: unknown; isError?: true };

  const tools = async (id: string) => {
    const r = await alice.call<ToolsBody>('GET', `/v1/harnesses/${id}/tools`);
    expect(r.status).toBe(200);
    return r.body;
  };
  const call = (name: string, input: unknown, harness = harnessId): Promise<CallToolResult> =>
    broker.call({ userId, harnessId: harness, toolCallId: randomUUID(), name, input, timeoutMs: 10_000 });
  const outputOf = (r: CallToolResult) => r.output as Output;

  beforeAll(async () => {
    [streamable, legacy] = await Promise.all([
      startChildServer(EVERYTHING, ['streamableHttp']),
      startChildServer(EVERYTHING, ['sse']),
    ]);
    system = await startSystem({ label: 'mcp-everything', services: ['gateway', 'mcp-broker'], env: { HARNESS_NATS_NAMESPACE: ns } });
    broker = await BrokerCommands.connect(system.jobSigningKey);
    await broker.waitReady();
    userId = 'alice';
    alice = await Client.as(system, userId);
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'everything', url: `http://127.0.0.1:${streamable.port}/mcp` }] })).id;
    legacyHarnessId = (await alice.createHarness({ mcpServers: [{ name: 'legacy', url: `http://127.0.0.1:${legacy.port}/sse` }] })).id;
  }, 90_000);

  afterAll(async () => {
    await broker?.close();
    await system?.stop();
    await Promise.all([streamable?.stop(), legacy?.stop()]);
  });

  it('lists its tools through GET /v1/harnesses/:id/tools under valid names, with their schemas', async () => {
    const body = await tools(harnessId);
    expect(body.errors).toEqual([]);
    const byName = new Map(body.items.map((t) => [t.name, t]));
    for (const name of ['echo', 'get-sum', 'get-tiny-image', 'get-resource-links', 'get-resource-reference', 'get-structured-content', 'get-annotated-message']) {
      // One server: no collisions, so each tool keeps its own (already valid) name.
      expect(byName.get(name)).toMatchObject({ originalName: name });
    }
    for (const t of body.items) {
      expect(t.name).toMatch(TOOL_NAME);
      expect(t.name).toBe(t.originalName);
      expect(typeof t.description).toBe('string');
    }
    expect(new Set(body.items.map((t) => t.name)).size).toBe(body.items.length);
    const sum = byName.get('get-sum')!;
    expect(sum.description).toBe('Returns the sum of two numbers');
    expect(sum.inputSchema).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } });
    expect(sum.inputSchema.required).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it('text: echo and get-sum', async () => {
    const echo = await call('echo', { message: 'hello from harness' });
    expect(echo).toMatchObject({ ok: true, modelText: 'Echo: hello from harness' });
    expect(echo.errorText).toBeUndefined();
    expect(outputOf(echo)).toEqual({ content: [{ type: 'text', text: 'Echo: hello from harness' }] });

    const sum = await call('get-sum', { a: 2, b: 40 });
    expect(sum.ok).toBe(true);
    expect(sum.modelText).toBe('The sum of 2 and 40 is 42.');
  });

  it('image: get-tiny-image keeps the PNG data for storage and describes it to the model', async () => {
    const r = await call('get-tiny-image', {});
    expect(r.ok).toBe(true);
    const content = outputOf(r).content;
    expect(content.map((p) => p.type)).toEqual(['text', 'image', 'text']);
    const image = content[1];
    expect(image.mimeType).toBe('image/png');
    const bytes = Buffer.from(image.data, 'base64');
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // The model gets a description, never the base64.
    expect(r.modelText).toMatch(/^Here's the image you requested:\n\[image: image\/png, [\d.]+ (B|KB)\]\nThe image above is the MCP logo\.$/);
    expect(r.modelText).not.toContain(image.data.slice(0, 40));
  });

  it('annotated content: the annotations are dropped, text and image kept', async () => {
    const r = await call('get-annotated-message', { messageType: 'error', includeImage: true });
    expect(r.ok).toBe(true);
    const content = outputOf(r).content;
    expect(content[0]).toEqual({ type: 'text', text: 'Error: Operation failed' });
    expect(content[1]).toMatchObject({ type: 'image', mimeType: 'image/png' });
    expect(content[1]).not.toHaveProperty('annotations');
  });

  it('resource links: get-resource-links', async () => {
    const r = await call('get-resource-links', { count: 2 });
    expect(r.ok).toBe(true);
    const content = outputOf(r).content;
    expect(content[0]).toMatchObject({ type: 'text' });
    const links = content.slice(1);
    expect(links).toHaveLength(2);
    for (const link of links) {
      expect(link).toMatchObject({ type: 'resource_link', uri: expect.stringMatching(/^demo:\/\/resource\//), name: expect.stringMatching(/Resource \d$/) });
      expect(typeof link.description).toBe('string');
      expect(typeof link.mimeType).toBe('string');
      expect(r.modelText).toContain(`[resource: ${link.name} ${link.uri}]`);
    }
  });

  it('embedded resources: a text resource and a blob resource from get-resource-reference', async () => {
    const text = await call('get-resource-reference', { resourceType: 'Text', resourceId: 2 });
    expect(text.ok).toBe(true);
    const textPart = outputOf(text).content.find((p) => p.type === 'resource');
    expect(textPart).toEqual({ type: 'resource', uri: 'demo://resource/dynamic/text/2', mimeType: 'text/plain', text: expect.any(String) });
    expect(textPart.text.length).toBeGreaterThan(0);
    // A text resource's text goes to the model as is.
    expect(text.modelText).toContain(textPart.text);

    const blob = await call('get-resource-reference', { resourceType: 'Blob', resourceId: 3 });
    expect(blob.ok).toBe(true);
    const blobPart = outputOf(blob).content.find((p) => p.type === 'resource');
    expect(blobPart).toMatchObject({ type: 'resource', uri: 'demo://resource/dynamic/blob/3', mimeType: expect.any(String), data: expect.any(String) });
    expect(Buffer.from(blobPart.data, 'base64').toString('utf8')).toContain('Resource 3');
    expect(blob.modelText).toContain(`[resource: demo://resource/dynamic/blob/3, ${blobPart.mimeType}, `);
  });

  it('structured content: get-structured-content', async () => {
    const r = await call('get-structured-content', { location: 'Chicago' });
    expect(r.ok).toBe(true);
    const weather = { temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 };
    expect(outputOf(r).structuredContent).toEqual(weather);
    expect(outputOf(r).content).toEqual([{ type: 'text', text: JSON.stringify(weather) }]);
    expect(r.modelText).toBe(JSON.stringify(weather));
  });

  it('a tool error (isError) is a failed outcome with the server\'s message, and invalid arguments are one too', async () => {
    const r = await call('get-resource-reference', { resourceType: 'Text', resourceId: 0 });
    expect(r.ok).toBe(false);
    expect(r.errorText).toBe('Invalid resourceId: 0. Must be a finite positive integer.');
    expect(outputOf(r)).toMatchObject({ isError: true, content: [{ type: 'text', text: r.errorText }] });
    expect(r.modelText).toContain('Invalid resourceId: 0');

    const invalid = await call('get-sum', { a: 'one', b: 2 });
    expect(invalid.ok).toBe(false);
    expect(invalid.errorText).toMatch(/invalid/i);
    expect(outputOf(invalid).isError).toBe(true);

    // The session is still good afterwards.
    expect((await call('echo', { message: 'still here' })).modelText).toBe('Echo: still here');
  });

  it('a name the harness does not list fails without reaching the server', async () => {
    const r = await call('no-such-tool', {});
    expect(r).toMatchObject({ ok: false, output: null, errorText: 'no tool named "no-such-tool" is available to this harness' });
  });

  it('legacy HTTP+SSE: the same server in `sse` mode is listed and called through the fallback transport', async () => {
    const body = await tools(legacyHarnessId);
    expect(body.errors).toEqual([]);
    expect(body.items.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-structured-content']));

    const echo = await call('echo', { message: 'over sse' }, legacyHarnessId);
    expect(echo).toMatchObject({ ok: true, modelText: 'Echo: over sse' });
    const structured = await call('get-structured-content', { location: 'New York' }, legacyHarnessId);
    expect(outputOf(structured).structuredContent).toEqual({ temperature: 33, conditions: 'Cloudy', humidity: 82 });

    // The legacy server saw an SSE client connect and post its messages (it logs both).
    await waitFor(() => legacy.output.some((l) => l.startsWith('Client Connected:')), { timeoutMs: 5_000, description: 'the legacy server to log the SSE connection' });
    expect(legacy.output.some((l) => l.startsWith('Client Message from'))).toBe(true);
    expect(legacy.exitCode).toBeNull();
  });
});
