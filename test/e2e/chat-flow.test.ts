import { startSystem, readSse, waitFor, type System } from '@harness/testing';
import { assertWellFormed, Client, eventsOf, readUntilTerminals, sim, textOf } from './support/client.js';

/** The whole chat path over HTTP/SSE: gateway → NATS → chat → LLM simulator → Postgres → SSE. */
describe('chat flow end to end', () => {
  let system: System;
  let alice: Client;

  beforeAll(async () => {
    system = await startSystem({ label: 'chat-flow', env: { LLM_OPENROUTER_EXTENSIONS: 'true' } });
    alice = await Client.as(system, 'alice');
  }, 90_000);
  afterAll(() => system?.stop());

  it('streams a reply with reasoning, persists its parts and usage', async () => {
    const conv = await alice.newConversation('sim/reasoning');
    const stream = await alice.events(conv, { after: 0 });
    const sent = await alice.send(conv, 'hello there');
    expect(sent.status).toBe('started');
    const events = await readUntilTerminals(stream);
    stream.close();
    assertWellFormed(events);

    const types = events.map((e) => e.chunk.type);
    expect(types.slice(0, 4)).toEqual(['data-message', 'start', 'data-run', 'start-step']);
    expect(types.slice(-4)).toEqual(['finish-step', 'data-usage', 'data-run', 'finish']);
    expect(events[0].seq).toBe(1);
    expect(types).toContain('reasoning-delta');
    expect(textOf(events)).toBe('Echo: hello there');
    const start = events.find((e) => e.chunk.type === 'start')!;
    expect(start.chunk.messageMetadata).toMatchObject({ runId: sent.runId, model: 'sim/reasoning' });
    const finish = events.at(-1)!;
    expect(finish.chunk.messageMetadata.usage).toMatchObject({ source: 'provider', costSource: 'provider' });
    expect(finish.chunk.messageMetadata.usage.completionTokens).toBeGreaterThan(0);

    const messages = await alice.messages(conv);
    expect(messages.map((m) => [m.role, m.status])).toEqual([['user', 'complete'], ['assistant', 'complete']]);
    expect(messages[0]).toMatchObject({ id: sent.messageId, parts: [{ type: 'text', text: 'hello there' }] });
    const answer = messages[1];
    expect(answer.parts.map((p: { type: string }) => p.type)).toEqual(['reasoning', 'text']);
    expect(answer.parts[1].text).toBe('Echo: hello there');
    expect(answer.model).toBe('sim/reasoning');
    expect(answer.usage).toEqual(finish.chunk.messageMetadata.usage);

    const usage = (await alice.call('GET', '/v1/usage')).body;
    expect(usage.completionTokens).toBeGreaterThanOrEqual(answer.usage.completionTokens);
    expect(usage.byModel.map((m: { model: string }) => m.model)).toContain('sim/reasoning');
  });

  it('sends the system prompt and the history to the model', async () => {
    const h = await alice.createHarness({ model: 'sim/echo', systemPrompt: 'SYSTEM-PROMPT-42' });
    const conv = (await alice.createConversation(h.id)).id;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'first question');
    await readUntilTerminals(stream, 1);
    await alice.send(conv, sim('second question', { echoSystem: true }));
    const events = await readUntilTerminals(stream, 2);
    stream.close();
    expect(textOf(events.slice(events.findIndex((e) => e.chunk.type === 'finish') + 1))).toBe('SYSTEM-PROMPT-42');
    const sent = await fetch(`${system.simulator!.url.replace(/\/v1$/, '')}/__sim/requests?limit=1`).then((r) => r.json() as Promise<{ data: any[] }>);
    const last = sent.data.at(-1);
    expect(last.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(last.messages[2].content).toBe('Echo: first question');
    expect(last.stream_options).toEqual({ include_usage: true });
  });

  it('streams the run in the POST response with Accept: text/event-stream', async () => {
    const conv = await alice.newConversation();
    const res = await fetch(`${system.gatewayUrl}/v1/conversations/${conv}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'stream me' }),
    });
    expect(res.status).toBe(200);
    const stream = await readSse(res);
    const items = await stream.collectAll({ timeoutMs: 15_000 });
    const events = eventsOf(items);
    assertWellFormed(events);
    expect(events[0].chunk.type).toBe('data-message');
    expect(events.at(-1)!.chunk.type).toBe('finish');
    expect(textOf(events)).toBe('Echo: stream me');
  });

  it('lists conversations newest first with cursor pagination and deletes them', async () => {
    const bob = await Client.as(system, 'bob-pages');
    const h = await bob.createHarness();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await bob.createConversation(h.id, `c${i}`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await bob.call('GET', `/v1/conversations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await bob.call('DELETE', `/v1/conversations/${ids[0]}`)).status).toBe(204);
    expect((await bob.call('GET', `/v1/conversations/${ids[0]}`)).status).toBe(404);
    await waitFor(async () => (await system.db.pool.query('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [ids[0]])).rows[0].n === 0);
  });

  it('stores the display mode setting', async () => {
    expect((await alice.call('GET', '/v1/me/settings')).body).toEqual({ displayMode: 'standard' });
    expect((await alice.call('PUT', '/v1/me/settings', { displayMode: 'developer' })).status).toBe(200);
    expect((await alice.call('GET', '/v1/me/settings')).body).toEqual({ displayMode: 'developer' });
    expect((await alice.call('PUT', '/v1/me/settings', { displayMode: 'loud' })).status).toBe(400);
  });

  it('lists models from the LLM endpoint', async () => {
    const r = await alice.call('GET', '/v1/models');
    expect(r.status).toBe(200);
    const reasoning = r.body.items.find((m: { id: string }) => m.id === 'sim/reasoning');
    expect(reasoning).toMatchObject({ id: 'sim/reasoning', reasoning: true });
  });
});
