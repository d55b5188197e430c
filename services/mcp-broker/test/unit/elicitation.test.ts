import { jest } from '@jest/globals';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createMcpClient, type ElicitationHandler } from '../../src/sessions/connect-client.js';
import { CallContexts, type ToolCallContext } from '../../src/elicitation/call-contexts.js';
import { PausableDeadline } from '../../src/elicitation/pausable-deadline.js';

/** The broker's MCP client hands a server's elicitation to its handler (the user, see src/elicitation). */
describe('elicitation', () => {
  const schema = {
    type: 'object' as const,
    properties: {
      name: { type: 'string' as const, default: 'John Doe' },
      age: { type: 'integer' as const, default: 30 },
      verified: { type: 'boolean' as const, default: true },
      status: { type: 'string' as const, enum: ['active', 'inactive'], default: 'active' },
    },
    required: [] as string[],
  };

  async function ask(handler?: ElicitationHandler) {
    const server = new Server({ name: 'elicits', version: '1.0.0' }, { capabilities: {} });
    const client = createMcpClient({ name: 'harness-test', version: '0.0.0' }, handler);
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    try {
      expect(server.getClientCapabilities()?.elicitation).toBeDefined();
      return await server.request({ method: 'elicitation/create', params: { message: 'defaults please', requestedSchema: schema } }, ElicitResultSchema);
    } finally {
      await client.close();
      await server.close();
    }
  }

  it('declines when nobody can be asked (no handler)', async () => {
    expect(await ask()).toEqual({ action: 'decline' });
  });

  it('sends the handler\'s answer, with the schema defaults filled into an accept that leaves fields out (SEP-1034)', async () => {
    expect(await ask(async () => ({ action: 'accept', content: { name: 'Ada' } }))).toEqual({
      action: 'accept', content: { name: 'Ada', age: 30, verified: true, status: 'active' },
    });
    expect(await ask(async () => ({ action: 'cancel' }))).toEqual({ action: 'cancel' });
  });

  it('declines an elicitation/create that is not a valid MCP form request instead of answering an error', async () => {
    const refused: string[] = [];
    const server = new Server({ name: 'elicits', version: '1.0.0' }, { capabilities: {} });
    const client = createMcpClient({ name: 'harness-test', version: '0.0.0' }, async () => ({ action: 'accept', content: {} }), (r) => refused.push(r));
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    try {
      const nested = { type: 'object', properties: { deep: { type: 'object', properties: {} } } };
      const result = await server.request({ method: 'elicitation/create', params: { message: 'x', requestedSchema: nested as never } }, ElicitResultSchema);
      expect(result).toEqual({ action: 'decline' });
      expect(refused).toHaveLength(1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('attributes a request to the call whose scope it runs in, else to the only call running on the client', async () => {
    const contexts = new CallContexts();
    const clientA = createMcpClient({ name: 'a', version: '0' });
    const call = (key: string) => ({ callKey: key }) as ToolCallContext;
    const one = call('one');
    const two = call('two');
    expect(contexts.callFor(clientA)).toBeUndefined();
    await contexts.run(clientA, one, async () => {
      expect(contexts.callFor(clientA)).toBe(one);
      expect(contexts.outside(() => contexts.callFor(clientA))).toBe(one);
      await contexts.run(clientA, two, async () => {
        expect(contexts.callFor(clientA)).toBe(two);
        // Outside any scope, two calls on the client: nobody can tell which one asked.
        expect(contexts.outside(() => contexts.callFor(clientA))).toBeUndefined();
      });
    });
    expect(contexts.callFor(clientA)).toBeUndefined();
  });

  it('stops a deadline from counting while paused', () => {
    jest.useFakeTimers();
    try {
      let expired = false;
      const deadline = new PausableDeadline(100, () => (expired = true));
      jest.advanceTimersByTime(60);
      deadline.pause();
      jest.advanceTimersByTime(10_000);
      expect(expired).toBe(false);
      deadline.resume();
      jest.advanceTimersByTime(39);
      expect(expired).toBe(false);
      jest.advanceTimersByTime(1);
      expect(expired).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
