import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import { startSystem, type System } from '@harness/testing';
import { Client, readUntilTerminals, sim } from './support/client.js';

/** An unmodified AI SDK client (the transport useChat uses) reads Harness's streams. */
describe('AI SDK compatibility', () => {
  let system: System;
  let alice: Client;
  let transport: DefaultChatTransport<UIMessage>;

  beforeAll(async () => {
    system = await startSystem({ label: 'ai-sdk' });
    alice = await Client.as(system, 'alice');
    transport = new DefaultChatTransport({ api: `${system.gatewayUrl}/v1/chat`, headers: { Authorization: `Bearer ${alice.token}` } });
  }, 90_000);
  afterAll(() => system?.stop());

  const userMessage = (text: string): UIMessage => ({ id: `u-${Math.random().toString(36).slice(2)}`, role: 'user', parts: [{ type: 'text', text }] });

  async function lastSnapshot(stream: ReadableStream<any>): Promise<UIMessage> {
    let last: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream, terminateOnError: true })) last = m;
    if (!last) throw new Error('no message read');
    return last;
  }

  const textParts = (m: UIMessage) => m.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('');

  it('sends a message and reads the reply with readUIMessageStream', async () => {
    const conv = await alice.newConversation('sim/reasoning');
    const stream = await transport.sendMessages({
      trigger: 'submit-message', chatId: conv, messageId: undefined, messages: [userMessage('hello sdk')], abortSignal: undefined,
    });
    const message = await lastSnapshot(stream);
    expect(message.role).toBe('assistant');
    expect(textParts(message)).toBe('Echo: hello sdk');
    expect(message.parts.some((p) => p.type === 'reasoning')).toBe(true);
    expect(message.metadata).toMatchObject({ model: 'sim/reasoning', usage: { source: 'provider', costSource: 'estimated' } });
    const stored = await alice.messages(conv);
    expect(stored.at(-1).id).toBe(message.id);
  });

  it('reconnects to a run in progress after the client dropped', async () => {
    const conv = await alice.newConversation();
    const abort = new AbortController();
    const stream = await transport.sendMessages({
      trigger: 'submit-message', chatId: conv, messageId: undefined,
      messages: [userMessage(sim('a long answer', { text: 120, tokensPerSecond: 150 }))], abortSignal: abort.signal,
    });
    const reader = stream.getReader();
    for (let deltas = 0; deltas < 5; ) {
      const { value, done } = await reader.read();
      if (done) throw new Error('ended early');
      if (value.type === 'text-delta') deltas++;
    }
    abort.abort();
    await reader.cancel().catch(() => undefined);

    const resumed = await transport.reconnectToStream({ chatId: conv });
    expect(resumed).not.toBeNull();
    const message = await lastSnapshot(resumed!);
    const words = textParts(message).split(' ');
    expect(words.length).toBeGreaterThanOrEqual(120);
    const stored = await alice.messages(conv);
    expect(textParts(message)).toBe(stored.at(-1).parts.at(-1).text);
    // Nothing running: the reconnect URL answers 204, the transport returns null.
    expect(await transport.reconnectToStream({ chatId: conv })).toBeNull();
  });

  it('regenerates through the regenerate-message trigger', async () => {
    const conv = await alice.newConversation();
    const first = await lastSnapshot(
      await transport.sendMessages({ trigger: 'submit-message', chatId: conv, messageId: undefined, messages: [userMessage('again')], abortSignal: undefined }),
    );
    const again = await lastSnapshot(
      await transport.sendMessages({ trigger: 'regenerate-message', chatId: conv, messageId: first.id, messages: [userMessage('again')], abortSignal: undefined }),
    );
    expect(again.id).not.toBe(first.id);
    expect(textParts(again)).toBe('Echo: again');
    expect((await alice.messages(conv)).map((m) => m.id)).toEqual([expect.any(String), again.id]);
  });

  it('a message sent while a run is active is queued and its run is streamed when it starts', async () => {
    const conv = await alice.newConversation();
    const events = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('busy', { text: 30, tokensPerSecond: 100 }));
    const queued = await lastSnapshot(
      await transport.sendMessages({ trigger: 'submit-message', chatId: conv, messageId: undefined, messages: [userMessage('my turn')], abortSignal: undefined }),
    );
    expect(textParts(queued)).toBe('Echo: my turn');
    await readUntilTerminals(events, 2);
    events.close();
  });
});
