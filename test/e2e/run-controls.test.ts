import { readSse, startSystem, waitFor, type System } from '@harness/testing';
import { assertWellFormed, Client, eventsOf, readUntilTerminals, sim, textOf, toStreamEvent } from './support/client.js';

/** Interrupt, the server-side queue, send-now, regenerate and idempotent sends. */
describe('run controls', () => {
  let system: System;
  let alice: Client;

  beforeAll(async () => {
    system = await startSystem({ label: 'controls', env: { LLM_OPENROUTER_EXTENSIONS: 'true', LLM_USAGE_DRAIN_MS: '200' } });
    alice = await Client.as(system, 'alice');
  }, 90_000);
  afterAll(() => system?.stop());

  const slow = (label: string) => sim(label, { text: 400, tokensPerSecond: 80 });

  it('interrupt keeps the partial answer as interrupted with usage, then provider usage is backfilled', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    const sent = await alice.send(conv, slow('talk for a while'));
    let deltas = 0;
    await stream.collectUntil((item) => toStreamEvent(item)?.chunk.type === 'text-delta' && ++deltas >= 5, { timeoutMs: 10_000 });
    const r = await alice.call('POST', `/v1/conversations/${conv}/interrupt`);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ runId: sent.runId });
    const events = await readUntilTerminals(stream);
    assertWellFormed(events);
    expect(events.at(-1)!.chunk).toEqual({ type: 'abort', reason: 'interrupted' });
    const usageEvent = events.filter((e) => e.chunk.type === 'data-usage').at(-1)!;
    expect(usageEvent.chunk.data.source).toBe('estimated');
    const partial = textOf(events);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.split(' ').length).toBeLessThan(400);

    // The simulator's generation endpoint knows the real figures: they replace the estimate.
    await stream.collectUntil((item) => {
      const e = toStreamEvent(item);
      return e?.chunk.type === 'data-usage' && e.chunk.data.source === 'provider';
    }, { timeoutMs: 15_000 });
    stream.close();
    const [, answer] = await alice.messages(conv);
    expect(answer.status).toBe('interrupted');
    expect(answer.parts[0].text).toBe(partial);
    expect(answer.usage.source).toBe('provider');
    expect(answer.usage.completionTokens).toBeGreaterThan(0);
    expect((await alice.conversation(conv)).activeRunId).toBeNull();
    expect((await alice.call('POST', `/v1/conversations/${conv}/interrupt`)).body).toEqual({ runId: null });
  });

  it('queues three messages sent during a run and runs them in order', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    const first = await alice.send(conv, sim('first', { text: 40, tokensPerSecond: 100 }));
    expect(first.status).toBe('started');
    const queued = [];
    for (const label of ['q1', 'q2', 'q3']) queued.push(await alice.send(conv, label));
    expect(queued.map((q) => q.status)).toEqual(['queued', 'queued', 'queued']);
    const view = await alice.call('GET', `/v1/conversations/${conv}/queue`);
    expect(view.body.items.map((i: { content: string }) => i.content)).toEqual(['q1', 'q2', 'q3']);
    expect((await alice.conversation(conv)).queue.map((i: { id: string }) => i.id)).toEqual(queued.map((q) => q.queueItemId));

    const events = await readUntilTerminals(stream, 4, 30_000);
    stream.close();
    assertWellFormed(events);
    const userTexts = events.filter((e) => e.chunk.type === 'data-message').map((e) => e.chunk.data.parts[0].text);
    expect(userTexts.slice(1)).toEqual(['q1', 'q2', 'q3']);
    const messages = await alice.messages(conv);
    expect(messages.filter((m) => m.role === 'user').map((m) => m.parts[0].text).slice(1)).toEqual(['q1', 'q2', 'q3']);
    expect(messages.filter((m) => m.role === 'assistant').map((m) => m.parts.at(-1).text).slice(1)).toEqual(['Echo: q1', 'Echo: q2', 'Echo: q3']);
    expect(messages.map((m) => m.id)).toEqual(expect.arrayContaining(queued.map((q) => q.messageId)));
    expect((await alice.call('GET', `/v1/conversations/${conv}/queue`)).body.items).toEqual([]);
  });

  it('removes a queued item and send-now interrupts the run and runs that item next', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, slow('long one'));
    const a = await alice.send(conv, 'A');
    const b = await alice.send(conv, 'B');
    const c = await alice.send(conv, 'C');
    expect((await alice.call('DELETE', `/v1/conversations/${conv}/queue/${a.queueItemId}`)).status).toBe(204);
    expect((await alice.call('DELETE', `/v1/conversations/${conv}/queue/${a.queueItemId}`)).status).toBe(404);
    expect((await alice.call('POST', `/v1/conversations/${conv}/queue/${c.queueItemId}/send-now`)).status).toBe(202);
    const events = await readUntilTerminals(stream, 3, 30_000);
    stream.close();
    assertWellFormed(events);
    expect(events.filter((e) => ['finish', 'abort', 'error'].includes(e.chunk.type)).map((e) => e.chunk.type)).toEqual(['abort', 'finish', 'finish']);
    expect(events.filter((e) => e.chunk.type === 'data-message').map((e) => e.chunk.data.parts[0].text).slice(1)).toEqual(['C', 'B']);
    void b;
  });

  it('regenerates an assistant message', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'say it');
    await readUntilTerminals(stream);
    const [, first] = await alice.messages(conv);
    const r = await alice.call('POST', `/v1/conversations/${conv}/messages/${first.id}/regenerate`);
    expect(r.status).toBe(202);
    const events = await readUntilTerminals(stream, 2);
    stream.close();
    const start = events.filter((e) => e.chunk.type === 'start').at(-1)!;
    expect(start.chunk.messageMetadata).toMatchObject({ runId: r.body.runId, regenerates: first.id });
    const messages = await alice.messages(conv);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[1].id).not.toBe(first.id);
    expect(messages[1].parts.at(-1).text).toBe('Echo: say it');
    expect((await alice.call('POST', `/v1/conversations/${conv}/messages/${messages[0].id}/regenerate`)).status).toBe(404);
  });

  it('the same clientMessageId gives the same answer and stores one message', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    const [x, y] = await Promise.all([alice.send(conv, 'once', 'client-1'), alice.send(conv, 'once', 'client-1')]);
    expect(y).toEqual(x);
    await readUntilTerminals(stream);
    stream.close();
    await waitFor(async () => (await alice.conversation(conv)).activeRunId === null);
    expect((await alice.messages(conv)).filter((m) => m.role === 'user')).toHaveLength(1);
    expect(await alice.send(conv, 'once', 'client-1')).toEqual(x);

    // The same send with Accept: text/event-stream after the run ended: its stored run is streamed, then the stream ends.
    const res = await fetch(`${system.gatewayUrl}/v1/conversations/${conv}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'once', clientMessageId: 'client-1' }),
    });
    const replay = eventsOf(await (await readSse(res)).collectAll({ timeoutMs: 10_000 }));
    expect(replay[0].chunk.type).toBe('data-message');
    expect(replay.at(-1)!.chunk.type).toBe('finish');
    expect((await alice.messages(conv)).filter((m) => m.role === 'user')).toHaveLength(1);
  });
});
