import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { answerElicitation, createMcpClient } from '../../src/sessions/connect-client.js';

/** Harness answers a server's elicitation without asking anyone: the form's defaults, or decline. */
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

  it('accepts a form whose required fields all have defaults, and declines one that needs a value', () => {
    expect(answerElicitation({ message: 'ok?', requestedSchema: schema })).toEqual({ action: 'accept', content: {} });
    expect(answerElicitation({ message: 'ok?', requestedSchema: { ...schema, required: ['name'] } }).action).toBe('accept');
    const needsValue = { ...schema, properties: { ...schema.properties, token: { type: 'string' as const } }, required: ['token'] };
    expect(answerElicitation({ message: 'token?', requestedSchema: needsValue })).toEqual({ action: 'decline' });
    expect(answerElicitation({ mode: 'url', message: 'open', url: 'https://example.test/x', elicitationId: 'e1' })).toEqual({ action: 'decline' });
  });

  it('declares form elicitation to the server and sends the schema defaults back (SEP-1034)', async () => {
    const server = new Server({ name: 'elicits', version: '1.0.0' }, { capabilities: {} });
    const client = createMcpClient({ name: 'harness-test', version: '0.0.0' });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    try {
      expect(server.getClientCapabilities()?.elicitation).toBeDefined();
      const result = await server.request({ method: 'elicitation/create', params: { message: 'defaults please', requestedSchema: schema } }, ElicitResultSchema);
      expect(result).toEqual({ action: 'accept', content: { name: 'John Doe', age: 30, verified: true, status: 'active' } });
    } finally {
      await client.close();
      await server.close();
    }
  });
});
