import { getFreePort, startSystem, waitFor, type System } from '@harness/testing';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { Client } from './support/client.js';

/** GET /v1/harnesses/:id/tools: the mcp-broker lists every server of a harness through its session pool. */
describe('harness MCP tools', () => {
  const TOKEN = 'secret-abc-1234';
  const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
  let system: System;
  let alice: Client;
  let mallory: Client;
  let plain: McpTestServerHandle;
  let secured: McpTestServerHandle;
  let harnessId: string;
  let serverIds: { plain: string; secured: string };

  interface ToolItem { name: string; originalName: string; serverId: string; description: string; inputSchema: Record<string, unknown> }
  interface ToolsBody { items: ToolItem[]; errors: { serverId: string; serverName: string; message: string }[] }

  const tools = async (client: Client, id: string) => {
    const r = await client.call<ToolsBody>('GET', `/v1/harnesses/${id}/tools`);
    expect(r.status).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    plain = await startMcpTestServer();
    secured = await startMcpTestServer({ bearerToken: TOKEN });
    system = await startSystem({ label: 'mcp-tools', env: { HARNESS_RATE_LIMIT_TOOL_LISTS: 'off' } });
    alice = await Client.as(system, 'alice');
    mallory = await Client.as(system, 'mallory');
    const h = await alice.call('POST', '/v1/harnesses', {
      name: 'tools', model: 'sim/echo',
      mcpServers: [
        { name: 'plain', url: plain.url },
        { name: 'secured', url: secured.url, authType: 'bearer', authToken: TOKEN },
      ],
    });
    expect(h.status).toBe(201);
    harnessId = h.body.id;
    const byName = new Map<string, string>(h.body.mcpServers.map((s: { id: string; name: string }) => [s.name, s.id]));
    serverIds = { plain: byName.get('plain')!, secured: byName.get('secured')! };
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await Promise.all([plain?.close(), secured?.close()]);
  });

  it("lists both servers' tools under unique, valid names that map back to their server", async () => {
    const body = await tools(alice, harnessId);
    expect(body.errors).toEqual([]);
    const names = body.items.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of body.items) {
      expect(t.name).toMatch(TOOL_NAME);
      expect(typeof t.description).toBe('string');
      expect(typeof t.inputSchema).toBe('object');
      expect([serverIds.plain, serverIds.secured]).toContain(t.serverId);
    }
    const of = (serverId: string) => body.items.filter((t) => t.serverId === serverId).map((t) => t.originalName).sort();
    // The same test server twice: the same tools on each, the secured one reached with its bearer token.
    expect(of(serverIds.plain)).toContain('echo');
    expect(of(serverIds.plain)).toContain('whoami');
    expect(of(serverIds.secured)).toEqual(of(serverIds.plain));
    expect(secured.stats.initializeCount).toBeGreaterThan(0);

    // Shared names are prefixed with the server for both, deterministically.
    const echo = body.items.filter((t) => t.originalName === 'echo');
    expect(echo.map((t) => [t.name, t.serverId]).sort()).toEqual(
      [['plain__echo', serverIds.plain], ['secured__echo', serverIds.secured]].sort(),
    );
    const again = await tools(alice, harnessId);
    expect(again.items.map((t) => [t.name, t.serverId, t.originalName])).toEqual(body.items.map((t) => [t.name, t.serverId, t.originalName]));
  });

  it('reports a server where nothing listens in errors and still lists the others', async () => {
    const dead = `http://127.0.0.1:${await getFreePort()}/mcp`;
    const h = await alice.createHarness({ mcpServers: [{ name: 'dead', url: dead }, { name: 'plain', url: plain.url }] });
    const body = await tools(alice, h.id);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ serverName: 'dead' });
    expect(typeof body.errors[0]!.message).toBe('string');
    expect(body.items.length).toBeGreaterThan(0);
    // Only one server listed: no collisions, so the plain names.
    expect(body.items.map((t) => t.name)).toContain('echo');
    expect(body.items.every((t) => t.serverId !== body.errors[0]!.serverId)).toBe(true);
  });

  it("another user's harness is 404, and so is an unknown or malformed id", async () => {
    expect((await mallory.call('GET', `/v1/harnesses/${harnessId}/tools`)).status).toBe(404);
    expect((await alice.call('GET', '/v1/harnesses/00000000-0000-4000-8000-000000000000/tools')).status).toBe(404);
    expect((await alice.call('GET', '/v1/harnesses/not-a-uuid/tools')).status).toBe(404);
    expect((await new Client(system, 'bad-token').call('GET', `/v1/harnesses/${harnessId}/tools`)).status).toBe(401);
  });

  it('a tool added on a server shows up after its tools/list_changed notification', async () => {
    // The listing is cached: this one primes the cache (and the session that receives the notification).
    const before = await tools(alice, harnessId);
    expect(before.items.some((t) => t.originalName === 'fresh')).toBe(false);
    plain.addTool('fresh');
    const fresh = await waitFor(
      async () => (await tools(alice, harnessId)).items.find((t) => t.originalName === 'fresh'),
      { timeoutMs: 10_000, description: 'the fresh tool to be listed' },
    );
    expect(fresh).toMatchObject({ name: 'fresh', serverId: serverIds.plain });
  });
});
