import { AbstractChat, DefaultChatTransport, type ChatInit, type ChatState, type ChatStatus, type UIMessage } from 'ai';
import { isSseEvent, readSse, waitFor, type SseEvent, type SseStream } from '@harness/testing';
import { FakeChat } from '../support/fake-chat.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** What useChat does, without React: AbstractChat over a plain state. */
class PlainState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined;
  messages: UIMessage[] = [];
  pushMessage = (m: UIMessage) => void (this.messages = [...this.messages, m]);
  popMessage = () => void (this.messages = this.messages.slice(0, -1));
  replaceMessage = (i: number, m: UIMessage) => void (this.messages = [...this.messages.slice(0, i), m, ...this.messages.slice(i + 1)]);
  snapshot = <T>(thing: T): T => structuredClone(thing);
}
class TestChat extends AbstractChat<UIMessage> {
  constructor(init: ChatInit<UIMessage>) {
    const state = new PlainState();
    if (init.messages) state.messages = init.messages;
    super({ ...init, state });
  }
}

let gw: TestGateway;
let chat: FakeChat;
let harnessId: string;
beforeAll(async () => {
  gw = await startGateway({ SSE_HEARTBEAT_MS: '200' });
  chat = await new FakeChat(gw).ready();
  harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
});
afterAll(async () => {
  await chat?.stop();
  await gw?.close();
});
afterEach(() => {
  chat.autoRun = true;
  chat.words = ['Hello', ' ', 'world'];
  chat.release();
});

const newConversation = async (): Promise<string> =>
  (await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json()).id;

const postStream = async (conversationId: string, content: string): Promise<SseStream> =>
  readSse(`${gw.url}/v1/conversations/${conversationId}/messages`, { token: await gw.token('alice'), body: { content } });

const chunks = (items: readonly unknown[]) => (items as SseEvent[]).filter(isSseEvent).map((e) => ({ seq: Number(e.id), chunk: JSON.parse(e.data) }));
const expectNoGapNoDup = (seqs: number[]) => {
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
};

describe('POST /v1/conversations/:id/messages with Accept: text/event-stream', () => {
  it("streams the run this message starts, from its data-message to its finish, then ends", async () => {
    const id = await newConversation();
    const s = await postStream(id, 'hi');
    expect(s.response.headers.get('x-harness-message-id')).toMatch(/^[0-9a-f-]{36}$/);
    const all = chunks(await s.collectAll());
    expect(all.map((c) => c.chunk.type)).toEqual([
      'data-message', 'start', 'start-step', 'text-start', 'text-delta', 'text-delta', 'text-delta', 'text-end', 'finish-step', 'finish',
    ]);
    expect(all[0].chunk.data.parts).toEqual([{ type: 'text', text: 'hi' }]);
    expectNoGapNoDup(all.map((c) => c.seq));
    expect(all[0].seq).toBe(1);
  });

  it('a queued message: follows the conversation until its queue item becomes a run, and ends after that run', async () => {
    const id = await newConversation();
    chat.autoRun = false;
    const first = await (await gw.request(`/v1/conversations/${id}/messages`, { method: 'POST', user: 'alice', json: { content: 'first' } })).json();
    expect(first.status).toBe('started');
    const s = await postStream(id, 'second');
    expect(s.response.headers.get('x-harness-queue-item-id')).toMatch(/^[0-9a-f-]{36}$/);
    chat.autoRun = true;
    chat.release();
    const all = chunks(await s.collectAll());
    const types = all.map((c) => c.chunk.type);
    expect(types[0]).toBe('data-queue');
    const consumed = all.findIndex((c) => c.chunk.type === 'data-message');
    expect(all[consumed].chunk.data).toMatchObject({ queueItemId: s.response.headers.get('x-harness-queue-item-id'), parts: [{ type: 'text', text: 'second' }] });
    // The first run's events come before, its own run's after; the stream ends after the second finish.
    expect(types.filter((t) => t === 'finish')).toHaveLength(2);
    expect(types.at(-1)).toBe('finish');
    const starts = all.filter((c) => c.chunk.type === 'start').map((c) => c.chunk.messageMetadata.runId);
    expect(starts).toHaveLength(1);
    expect(starts[0]).not.toBe(first.runId);
    expectNoGapNoDup(all.map((c) => c.seq));
  });

  it('a queued message that is removed before it runs: the stream ends', async () => {
    const id = await newConversation();
    chat.autoRun = false;
    await gw.request(`/v1/conversations/${id}/messages`, { method: 'POST', user: 'alice', json: { content: 'first' } });
    const s = await postStream(id, 'second');
    const itemId = s.response.headers.get('x-harness-queue-item-id')!;
    await s.collectUntil((i) => isSseEvent(i) && JSON.parse(i.data).type === 'data-queue');
    await chat.removeQueued(id, itemId);
    const rest = chunks(await s.collectAll({ timeoutMs: 5_000 }));
    expect(rest.map((c) => c.chunk)).toEqual([{ type: 'data-queue', data: { items: [] }, transient: true }]);
  });
});

describe('AI SDK: useChat with DefaultChatTransport works unmodified', () => {
  const transport = async () =>
    new DefaultChatTransport<UIMessage>({ api: `${gw.url}/v1/chat`, headers: { Authorization: `Bearer ${await gw.token('alice')}` } });

  it('sends, streams the answer into an assistant message, regenerates, and resumes', async () => {
    const id = await newConversation();
    const errors: Error[] = [];
    const c = new TestChat({ id, transport: await transport(), onError: (e) => errors.push(e) });

    await c.sendMessage({ text: 'hello there' });
    expect(errors).toEqual([]);
    expect(c.status).toBe('ready');
    expect(c.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const answer = c.messages[1];
    expect(answer.parts.filter((p) => p.type === 'text')).toEqual([expect.objectContaining({ type: 'text', text: 'Hello world', state: 'done' })]);
    expect(answer.metadata).toMatchObject({ runId: expect.any(String), model: 'test-model' });
    expect(chat.received.at(-1)?.data).toMatchObject({ conversationId: id, content: 'hello there', clientMessageId: c.messages[0].id });

    chat.words = ['Once', ' more'];
    // Regenerate names a message the gateway finds in the message projection: wait until the answer is there.
    await waitFor(async () => (await (await gw.request(`/v1/conversations/${id}/messages`, { user: 'alice' })).json()).items.some((m: { id: string }) => m.id === answer.id), { intervalMs: 10 });
    await c.regenerate();
    expect(errors).toEqual([]);
    expect(c.messages).toHaveLength(2);
    expect(c.messages[1].parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text)).toEqual(['Once more']);
    expect(chat.received.at(-1)).toMatchObject({ data: { conversationId: id, messageId: answer.id } });

    // Nothing is running (once the projection says so): the reconnect URL answers 204 and resumeStream changes nothing.
    await waitFor(async () => (await (await gw.request(`/v1/conversations/${id}`, { user: 'alice' })).json()).activeRunId === null, { intervalMs: 10 });
    const idle = await gw.request(`/v1/chat/${id}/stream`, { user: 'alice' });
    expect(idle.status).toBe(204);
    await c.resumeStream();
    expect(c.messages).toHaveLength(2);

    // A run in progress (started elsewhere): a fresh tab resumes it from its start.
    chat.autoRun = false;
    chat.words = ['Resumed'];
    await gw.request(`/v1/conversations/${id}/messages`, { method: 'POST', user: 'alice', json: { content: 'from another tab' } });
    const tab = new TestChat({ id, transport: await transport(), messages: structuredClone(c.messages), onError: (e) => errors.push(e) });
    const resumed = tab.resumeStream();
    await waitFor(() => tab.status === 'submitted' || tab.status === 'streaming', { intervalMs: 10 });
    chat.release();
    await resumed;
    expect(errors).toEqual([]);
    expect(tab.messages.at(-1)?.parts.filter((p) => p.type === 'text')).toEqual([expect.objectContaining({ text: 'Resumed' })]);
  });

  it('frames the response as a UI message stream: header, chunks, [DONE]', async () => {
    const id = await newConversation();
    const res = await gw.request('/v1/chat', {
      method: 'POST',
      user: 'alice',
      json: { id, trigger: 'submit-message', messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const data = text.split('\n').filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]').map((l) => JSON.parse(l.slice(6)).type);
    expect(data[0]).toBe('start');
    expect(data.at(-1)).toBe('finish');
    expect(chat.received.at(-1)?.data).toMatchObject({ content: 'a\nb', clientMessageId: 'm1' });
  });

  it('refuses an empty message, an unknown conversation, and regenerating with nothing to regenerate', async () => {
    const id = await newConversation();
    const empty = await gw.request('/v1/chat', { method: 'POST', user: 'alice', json: { id, messages: [{ id: 'm', role: 'user', parts: [{ type: 'text', text: '  ' }] }] } });
    expect(empty.status).toBe(400);
    expect((await empty.json()).error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('messages') });
    const other = await gw.request('/v1/chat', { method: 'POST', user: 'mallory', json: { id, messages: [{ id: 'm', role: 'user', parts: [{ type: 'text', text: 'x' }] }] } });
    expect(other.status).toBe(404);
    const regen = await gw.request('/v1/chat', { method: 'POST', user: 'alice', json: { id, trigger: 'regenerate-message', messages: [] } });
    expect(regen.status).toBe(409);
    expect((await regen.json()).error.code).toBe('nothing_to_regenerate');
    expect((await gw.request(`/v1/chat/${id}/stream`, { user: 'mallory' })).status).toBe(404);
  });
});
