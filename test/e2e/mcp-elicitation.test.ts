import { startSystem, type SseStream, type System } from '@harness/testing';
import { ASK_SCHEMA, startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { assertWellFormed, Client, eventsOf, readUntilTerminals, sim, type StreamEvent } from './support/client.js';

/**
 * An MCP server's question in the middle of a tool call (form elicitation) reaches the user as `data-elicitation` in
 * the run's stream, and the answer posted to the API goes back to the server: through the real system, the LLM
 * simulator and the MCP test server's `ask` tool (which returns what it was answered).
 */
type Chunk = StreamEvent['chunk'];

async function until(stream: SseStream, pred: (c: Chunk) => boolean, timeoutMs = 30_000): Promise<Chunk> {
  const find = () => eventsOf(stream.received).find((e) => pred(e.chunk))?.chunk;
  if (!find()) await stream.collectUntil(() => !!find(), { timeoutMs });
  return find()!;
}

const isElicitation = (status: string, id?: string) => (c: Chunk) =>
  c.type === 'data-elicitation' && c.data.status === status && (id === undefined || c.id === id);

/** The text of a tool output as the MCP test server wrote it, parsed (the `ask` tools answer JSON). */
function answerOf(output: unknown): { action: string; content?: Record<string, unknown> } {
  const text = (output as { content?: { type: string; text?: string }[] }).content?.find((c) => c.type === 'text')?.text;
  if (!text) throw new Error(`no text in the tool output ${JSON.stringify(output)}`);
  return JSON.parse(text) as { action: string; content?: Record<string, unknown> };
}

async function toolOutput(stream: SseStream): Promise<Chunk> {
  return until(stream, (c) => c.type === 'tool-output-available' || c.type === 'tool-output-error');
}

async function ask(client: Client, harnessId: string, tool = 'ask', args: Record<string, unknown> = {}) {
  const conversationId = (await client.createConversation(harnessId)).id;
  const stream = await client.events(conversationId, { after: 0 });
  await client.send(conversationId, sim('ask me', { toolCalls: [{ name: tool, arguments: args }] }));
  return { conversationId, stream };
}

const answerPath = (conversationId: string, elicitationId: string) => `/v1/conversations/${conversationId}/elicitations/${elicitationId}`;

describe('MCP elicitation through the API', () => {
  let system: System;
  let alice: Client;
  let bob: Client;
  let server: McpTestServerHandle;
  let harnessId: string;

  beforeAll(async () => {
    server = await startMcpTestServer();
    system = await startSystem({ label: 'mcp-elicitation' });
    alice = await Client.as(system, 'alice');
    bob = await Client.as(system, 'bob');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'test', url: server.url }] })).id;
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('shows the question in the stream and sends an accepted answer to the server', async () => {
    const { conversationId, stream } = await ask(alice, harnessId, 'ask', { message: 'Your order?' });
    const pending = await until(stream, isElicitation('pending'));
    expect(pending.id).toBe(pending.data.elicitationId);
    expect(pending.data).toEqual({ elicitationId: pending.id, serverName: 'test', message: 'Your order?', requestedSchema: ASK_SCHEMA, status: 'pending' });
    expect(pending.transient).toBeUndefined();

    const content = { name: 'Grace', color: 'blue', subscribe: true, count: 7 };
    const r = await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept', content });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ elicitationId: pending.id, action: 'accept' });

    const accepted = await until(stream, isElicitation('accepted', pending.id));
    expect(accepted.data).toEqual({ ...pending.data, status: 'accepted' });
    const output = await toolOutput(stream);
    expect(output.type).toBe('tool-output-available');
    expect(answerOf(output.output)).toEqual({ action: 'accept', content });
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    assertWellFormed(events);
    expect(events.at(-1)!.chunk.type).toBe('finish');
    // The question was shown before the tool's output, and its final status replaced it before the output too.
    const seqOf = (pred: (c: Chunk) => boolean) => events.find((e) => pred(e.chunk))!.seq;
    expect(seqOf(isElicitation('pending'))).toBeLessThan(seqOf(isElicitation('accepted')));
    expect(seqOf(isElicitation('accepted'))).toBeLessThan(seqOf((c) => c.type === 'tool-output-available'));

    // Answered once: a second answer is refused.
    const again = await alice.call('POST', answerPath(conversationId, pending.id), { action: 'decline' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('refuses content that does not fit the schema, naming the field, and the question stays answerable', async () => {
    const { conversationId, stream } = await ask(alice, harnessId);
    const pending = await until(stream, isElicitation('pending'));
    const bad = await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept', content: { name: 'Ada', count: 99 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.message).toContain('count');
    expect(bad.body.error.details.field).toBe('count');
    const unknownField = await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept', content: { nickname: 'x' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.details.field).toBe('nickname');
    // Body shape: content only with accept; a known action; bounded.
    expect((await alice.call('POST', answerPath(conversationId, pending.id), { action: 'decline', content: { name: 'x' } })).status).toBe(400);
    expect((await alice.call('POST', answerPath(conversationId, pending.id), { action: 'maybe' })).status).toBe(400);
    expect((await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept', content: { name: 'x'.repeat(20_000) } })).status).toBe(400);

    // Accepting without content: the server gets the defaults (the SDK fills them in, SEP-1034).
    const ok = await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept' });
    expect(ok.status).toBe(202);
    expect(answerOf((await toolOutput(stream)).output)).toEqual({ action: 'accept', content: { name: 'Ada', color: 'green', subscribe: false, count: 3 } });
    stream.close();
  });

  it.each([
    ['decline', 'declined'],
    ['cancel', 'cancelled'],
  ])('sends %s to the server', async (action, status) => {
    const { conversationId, stream } = await ask(alice, harnessId);
    const pending = await until(stream, isElicitation('pending'));
    expect((await alice.call('POST', answerPath(conversationId, pending.id), { action })).status).toBe(202);
    await until(stream, isElicitation(status, pending.id));
    expect(answerOf((await toolOutput(stream)).output)).toEqual({ action });
    stream.close();
  });

  it('keeps other users out: another user\'s conversation or question is not found', async () => {
    const { conversationId, stream } = await ask(alice, harnessId);
    const pending = await until(stream, isElicitation('pending'));
    const onAlices = await bob.call('POST', answerPath(conversationId, pending.id), { action: 'decline' });
    expect(onAlices.status).toBe(404);
    const bobsConversation = await bob.createConversation((await bob.createHarness()).id);
    const onHis = await bob.call('POST', answerPath(bobsConversation.id, pending.id), { action: 'decline' });
    expect(onHis.status).toBe(404);
    // Nor under another conversation of alice's, nor an id that was never issued.
    const otherOfAlice = (await alice.createConversation(harnessId)).id;
    expect((await alice.call('POST', answerPath(otherOfAlice, pending.id), { action: 'decline' })).status).toBe(404);
    expect((await alice.call('POST', answerPath(conversationId, `el_${'0'.repeat(32)}`), { action: 'decline' })).status).toBe(404);
    expect((await alice.call('POST', answerPath(conversationId, 'nonsense'), { action: 'decline' })).status).toBe(404);

    // The question is still alice's to answer.
    expect((await alice.call('POST', answerPath(conversationId, pending.id), { action: 'decline' })).status).toBe(202);
    expect(answerOf((await toolOutput(stream)).output)).toEqual({ action: 'decline' });
    stream.close();
  });

  it('cancels a pending question when the run is interrupted', async () => {
    const { conversationId, stream } = await ask(alice, harnessId);
    const pending = await until(stream, isElicitation('pending'));
    expect((await alice.call('POST', `/v1/conversations/${conversationId}/interrupt`)).status).toBe(202);
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    assertWellFormed(events);
    expect(events.at(-1)!.chunk.type).toBe('abort');
    const cancelled = events.find((e) => isElicitation('cancelled', pending.id)(e.chunk));
    const callEnd = events.find((e) => e.chunk.type === 'tool-output-error' && /cancelled/.test(e.chunk.errorText));
    expect(cancelled).toBeDefined();
    expect(callEnd).toBeDefined();
    expect(cancelled!.seq).toBeLessThan(callEnd!.seq);
    // The question is over: answering it now is refused (as answered, or as unknown once forgotten).
    expect([404, 409]).toContain((await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept' })).status);
  });

  it.each(['nested', 'huge'])('declines a %s schema without asking anyone, and goes on working', async (kind) => {
    const { stream } = await ask(alice, harnessId, 'ask_hostile', { kind });
    const output = await toolOutput(stream);
    expect(answerOf(output.output)).toEqual({ action: 'decline' });
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    expect(events.some((e) => e.chunk.type === 'data-elicitation')).toBe(false);
    expect(events.at(-1)!.chunk.type).toBe('finish');

    // The broker and chat are fine: the next question is asked and answered.
    const next = await ask(alice, harnessId);
    const pending = await until(next.stream, isElicitation('pending'));
    expect((await alice.call('POST', answerPath(next.conversationId, pending.id), { action: 'cancel' })).status).toBe(202);
    expect(answerOf((await toolOutput(next.stream)).output)).toEqual({ action: 'cancel' });
    next.stream.close();
  });
});

describe('MCP elicitation timeout', () => {
  let system: System;
  let alice: Client;
  let server: McpTestServerHandle;
  let harnessId: string;

  beforeAll(async () => {
    server = await startMcpTestServer();
    // The question outlives the tool's own timeout: the call waits for the user, bounded by the elicitation timeout.
    system = await startSystem({ label: 'mcp-elicitation-timeout', env: { HARNESS_ELICITATION_TIMEOUT_MS: '2500', HARNESS_MCP_TOOL_TIMEOUT_MS: '1000' } });
    alice = await Client.as(system, 'alice');
    harnessId = (await alice.createHarness({ mcpServers: [{ name: 'test', url: server.url }] })).id;
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('expires an unanswered question: the server gets cancel, the stream says expired, a late answer is refused', async () => {
    const { conversationId, stream } = await ask(alice, harnessId);
    const pending = await until(stream, isElicitation('pending'));
    const expired = await until(stream, isElicitation('expired', pending.id));
    expect(expired.data).toEqual({ ...pending.data, status: 'expired' });
    const output = await toolOutput(stream);
    expect(output.type).toBe('tool-output-available');
    expect(answerOf(output.output)).toEqual({ action: 'cancel' });
    const late = await alice.call('POST', answerPath(conversationId, pending.id), { action: 'accept' });
    expect(late.status).toBe(409);
    const events = await readUntilTerminals(stream, 1, 30_000);
    stream.close();
    assertWellFormed(events);
    expect(events.at(-1)!.chunk.type).toBe('finish');
  });
});
