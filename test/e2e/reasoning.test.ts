import { startSystem, type System } from '@harness/testing';
import { assertWellFormed, Client, readUntilTerminals, sim, textOf, type StreamEvent } from './support/client.js';

/**
 * A harness's reasoning effort reaches the LLM with every call of its runs, in the provider's shape, and the thinking it
 * asks for shows in the run's stream; a harness without one sends nothing and shows none.
 */

type SimRequest = { messages: { role: string; content: unknown }[]; reasoning?: unknown; reasoning_effort?: unknown };

/** The simulator's logged requests whose first user message contains the marker. */
async function requestsFor(system: System, marker: string): Promise<SimRequest[]> {
  const res = await fetch(`${system.simulator!.url.replace(/\/v1$/, '')}/__sim/requests?limit=200`);
  const log = (await res.json()) as { data: SimRequest[] };
  return log.data.filter((r) => r.messages.some((m) => m.role === 'user' && typeof m.content === 'string' && m.content.includes(marker)));
}

async function runOnce(alice: Client, reasoning: unknown, content: string): Promise<StreamEvent[]> {
  const h = (await alice.createHarness({ model: 'sim/echo', reasoning })) as { id: string; reasoning?: unknown };
  expect(h.reasoning).toEqual(reasoning);
  const conv = (await alice.createConversation(h.id)).id;
  const stream = await alice.events(conv, { after: 0 });
  await alice.send(conv, content);
  const events = await readUntilTerminals(stream);
  stream.close();
  assertWellFormed(events);
  expect(events.at(-1)!.chunk.type).toBe('finish');
  return events;
}

/** The words of each reasoning part, in order. */
const reasoningWords = (events: StreamEvent[]): number[] => {
  const parts = new Map<string, string>();
  for (const e of events) if (e.chunk.type === 'reasoning-delta') parts.set(e.chunk.id, (parts.get(e.chunk.id) ?? '') + e.chunk.delta);
  return [...parts.values()].map((t) => t.split(/\s+/).filter(Boolean).length);
};

describe('reasoning on request, OpenAI-compatible provider (the simulator\'s base URL)', () => {
  let system: System;
  let alice: Client;

  beforeAll(async () => {
    system = await startSystem({ label: 'reasoning' });
    alice = await Client.as(system, 'alice');
  }, 90_000);
  afterAll(() => system?.stop());

  it('a harness with effort "high" streams the reasoning it asked for, and sent reasoning_effort with every call', async () => {
    // A tool call the harness cannot answer makes the run a second LLM call: both must carry the effort.
    const events = await runOnce(alice, { effort: 'high' }, sim('think-high', { toolCalls: [{ name: 'missing', arguments: {} }], afterTools: 'done' }));
    const types = events.map((e) => e.chunk.type);
    expect(types.filter((t) => t === 'reasoning-start')).toHaveLength(2);
    expect(types.filter((t) => t === 'reasoning-end')).toHaveLength(2);
    // Reasoning comes before the answer's text.
    expect(types.lastIndexOf('reasoning-end')).toBeLessThan(types.indexOf('text-start'));
    expect(reasoningWords(events)).toEqual([64, 64]);
    expect(textOf(events)).toBe('done');

    const sent = await requestsFor(system, 'think-high');
    expect(sent).toHaveLength(2);
    for (const r of sent) {
      expect(r.reasoning_effort).toBe('high');
      expect(r).not.toHaveProperty('reasoning');
    }
  });

  it('a harness with reasoning null shows no reasoning and sends neither field', async () => {
    const events = await runOnce(alice, null, 'think-none');
    expect(events.filter((e) => e.chunk.type.startsWith('reasoning-'))).toEqual([]);
    expect(textOf(events)).toBe('Echo: think-none');
    const [r, ...more] = await requestsFor(system, 'think-none');
    expect(more).toEqual([]);
    expect(r).not.toHaveProperty('reasoning');
    expect(r).not.toHaveProperty('reasoning_effort');
  });

  it('a changed effort applies to the next run; cleared, nothing is sent', async () => {
    const h = (await alice.createHarness({ model: 'sim/echo', reasoning: { effort: 'low' } })) as { id: string };
    const conv = (await alice.createConversation(h.id)).id;
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'think-low');
    await readUntilTerminals(stream, 1);
    expect((await alice.call('PATCH', `/v1/harnesses/${h.id}`, { reasoning: null })).status).toBe(200);
    await alice.send(conv, 'think-cleared');
    const events = await readUntilTerminals(stream, 2);
    stream.close();
    assertWellFormed(events);
    const secondRun = events.slice(events.findIndex((e) => e.chunk.type === 'finish') + 1);
    expect(reasoningWords(events.slice(0, events.length - secondRun.length))).toEqual([8]);
    expect(secondRun.filter((e) => e.chunk.type.startsWith('reasoning-'))).toEqual([]);
    const [low] = await requestsFor(system, 'think-low');
    expect(low.reasoning_effort).toBe('low');
    const cleared = (await requestsFor(system, 'think-cleared')).at(-1)!;
    expect(cleared).not.toHaveProperty('reasoning_effort');
    expect(cleared).not.toHaveProperty('reasoning');
  });
});

describe('reasoning on request, OpenRouter shape (LLM_REASONING_PARAM=openrouter)', () => {
  let system: System;
  let alice: Client;

  beforeAll(async () => {
    system = await startSystem({ label: 'reasoning-openrouter', env: { LLM_REASONING_PARAM: 'openrouter' } });
    alice = await Client.as(system, 'alice');
  }, 90_000);
  afterAll(() => system?.stop());

  it('sends reasoning: {effort} and streams the reasoning', async () => {
    const events = await runOnce(alice, { effort: 'medium' }, 'think-medium');
    expect(events.map((e) => e.chunk.type)).toEqual(expect.arrayContaining(['reasoning-start', 'reasoning-delta', 'reasoning-end']));
    expect(reasoningWords(events)).toEqual([24]);
    const [r] = await requestsFor(system, 'think-medium');
    expect(r.reasoning).toEqual({ effort: 'medium' });
    expect(r).not.toHaveProperty('reasoning_effort');
  });
});
