import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { createParser } from 'eventsource-parser';
import { startSimulator, type GenerationStats, type SimulatorHandle } from '../../src/index.js';

/** Real HTTP against the simulator on a random port, with the real openai SDK and fetch. No mocks, no fixed sleeps. */

let sim: SimulatorHandle;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, defaultTokensPerSecond: 0 });
  client = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  await sim.close();
});

type Delta = ChatCompletionChunk.Choice.Delta & {
  reasoning?: string;
  reasoning_content?: string;
  reasoning_details?: { type: string; text: string; format: string; index: number }[];
};

const scripted = (scenario: object, text = 'hello'): ChatCompletionMessageParam[] => [
  { role: 'user', content: `${text}\n@sim ${JSON.stringify(scenario)}` },
];

/** Streams with the SDK and collects everything. */
async function streamAll(messages: ChatCompletionMessageParam[], extra: Record<string, unknown> = {}, model = 'sim/echo') {
  const stream = await client.chat.completions.create({
    model,
    messages,
    stream: true,
    ...extra,
  } as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta as Delta));
  return {
    chunks,
    deltas,
    content: deltas.map((d) => d.content ?? '').join(''),
    finishReason: chunks.flatMap((c) => c.choices).find((ch) => ch.finish_reason)?.finish_reason,
    usage: chunks.find((c) => c.usage)?.usage as (OpenAI.CompletionUsage & { cost?: number }) | undefined,
  };
}

/** Raw SSE over fetch: yields each event's data string as it arrives. */
async function* sseData(res: Response): AsyncGenerator<string> {
  const queue: string[] = [];
  const parser = createParser({ onEvent: (e) => queue.push(e.data) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
    while (queue.length) yield queue.shift()!;
  }
}

function post(body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${sim.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer whatever' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** Polls the generation-stats endpoint until the generation is recorded (bounded, no fixed sleep). */
async function waitForGeneration(id: string, timeoutMs = 3000): Promise<GenerationStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${sim.url}/generation?id=${encodeURIComponent(id)}`);
    if (res.status === 200) return ((await res.json()) as { data: GenerationStats }).data;
    if (Date.now() > deadline) throw new Error(`generation ${id} not recorded`);
    await new Promise((r) => setImmediate(r));
  }
}

const isContentChunk = (data: string): boolean => {
  try {
    const d = JSON.parse(data).choices?.[0]?.delta;
    return !!d && (d.content || d.reasoning || d.tool_calls) ? true : false;
  } catch {
    return false;
  }
};

describe('llm simulator over HTTP', () => {
  it('lists the models', async () => {
    const res = await fetch(`${sim.url}/models`);
    const body = (await res.json()) as { object: string; data: { id: string; owned_by: string; supports_reasoning: boolean }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['sim/echo', 'sim/reasoning', 'sim/tools']);
    expect(body.data.every((m) => m.owned_by === 'harness-simulator')).toBe(true);
    expect(body.data.find((m) => m.id === 'sim/reasoning')!.supports_reasoning).toBe(true);
    expect(await (await fetch(sim.url.replace('/v1', '/__sim/health'))).json()).toEqual({ ok: true });
  });

  it('streams the default echo text with the OpenAI chunk shape', async () => {
    const r = await streamAll([{ role: 'user', content: 'hello simulated world' }], {}, 'some/other-model');
    expect(r.content).toBe('Echo: hello simulated world');
    expect(r.chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const ids = new Set(r.chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^gen-\d+-[0-9a-f]+$/);
    expect(r.chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'some/other-model')).toBe(true);
    expect(r.finishReason).toBe('stop');
    expect(r.usage).toBeUndefined();
  });

  it.each(['reasoning', 'reasoning_content', 'reasoning_details'] as const)(
    'streams reasoning before text in the %s field',
    async (field) => {
      const r = await streamAll(scripted({ reasoning: 'first think, then answer', reasoningField: field, text: 'the answer' }));
      const pick = (d: Delta): string =>
        field === 'reasoning_details' ? (d.reasoning_details ?? []).map((x) => x.text).join('') : (d[field] ?? '');
      expect(r.deltas.map(pick).join('')).toBe('first think, then answer');
      expect(r.content).toBe('the answer');
      const lastReasoning = r.deltas.map((d) => pick(d) !== '').lastIndexOf(true);
      const firstText = r.deltas.findIndex((d) => !!d.content);
      expect(lastReasoning).toBeLessThan(firstText);
      if (field === 'reasoning_details') {
        // OpenRouter also mirrors the text into delta.reasoning
        expect(r.deltas.map((d) => d.reasoning ?? '').join('')).toBe('first think, then answer');
        expect(r.deltas.find((d) => d.reasoning_details)!.reasoning_details![0]).toMatchObject({ type: 'reasoning.text', format: 'unknown', index: 0 });
      } else {
        const other = field === 'reasoning' ? 'reasoning_content' : 'reasoning';
        expect(r.deltas.some((d) => d[other] !== undefined)).toBe(false);
      }
    },
  );

  it('sim/reasoning reasons before the text by default', async () => {
    const r = await streamAll([{ role: 'user', content: 'why?' }], {}, 'sim/reasoning');
    expect(r.deltas.map((d) => d.reasoning ?? '').join('')).toMatch(/why\?/);
    expect(r.content).toBe('Echo: why?');
  });

  it('streams two interleaved tool calls that reassemble to the right names and arguments', async () => {
    const calls = [
      { name: 'search_web', arguments: { query: 'weather in Paris', limit: 3 } },
      { name: 'get_time', arguments: { timezone: 'Europe/Paris' }, id: 'call_custom' },
    ];
    const r = await streamAll(scripted({ toolCalls: calls, interleave: true }), {
      tools: calls.map((c) => ({ type: 'function', function: { name: c.name, parameters: { type: 'object' } } })),
    });
    const assembled: { id?: string; name: string; args: string }[] = [];
    const order: number[] = [];
    for (const d of r.deltas) {
      for (const tc of d.tool_calls ?? []) {
        order.push(tc.index);
        const slot = (assembled[tc.index] ??= { name: '', args: '' });
        if (tc.id) slot.id = tc.id;
        if (tc.function?.name) slot.name += tc.function.name;
        if (tc.function?.arguments) slot.args += tc.function.arguments;
      }
    }
    expect(assembled.map((a) => a.name)).toEqual(['search_web', 'get_time']);
    expect(assembled.map((a) => JSON.parse(a.args))).toEqual(calls.map((c) => c.arguments));
    expect(assembled[0].id).toMatch(/^call_/);
    expect(assembled[1].id).toBe('call_custom');
    // fragments alternate between the two calls
    expect(order.slice(2, 6)).toEqual([0, 1, 0, 1]);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.content).toBe('');
  });

  it('answers with the tool results once the conversation ends with tool messages (and honours steps)', async () => {
    const scenario = { toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }], steps: 2 };
    const first = await streamAll(scripted(scenario));
    expect(first.finishReason).toBe('tool_calls');
    const round = (id: string, result: string): ChatCompletionMessageParam[] => [
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      { role: 'tool', tool_call_id: id, content: result },
    ];
    const second = await streamAll([...scripted(scenario), ...round('a', 'first result')]);
    expect(second.finishReason).toBe('tool_calls');
    const third = await streamAll([...scripted(scenario), ...round('a', 'first result'), ...round('b', 'second result')]);
    expect(third.finishReason).toBe('stop');
    expect(third.content).toBe('Tool results: second result');
    expect(third.deltas.some((d) => d.tool_calls)).toBe(false);

    const custom = await streamAll([...scripted({ ...scenario, steps: 1, afterTools: 'All done.' }), ...round('a', 'r')]);
    expect(custom.content).toBe('All done.');
  });

  it('sends the usage chunk only when asked, with cost only for usage.include', async () => {
    const msgs = scripted({ text: 'twelve chars' }, 'abcd'); // prompt = "abcd\n@sim {...}"
    const none = await streamAll(msgs);
    expect(none.usage).toBeUndefined();

    const plain = await streamAll(msgs, { stream_options: { include_usage: true } });
    const usageChunk = plain.chunks[plain.chunks.length - 1];
    expect(usageChunk.choices).toEqual([]);
    expect(plain.usage).toMatchObject({
      completion_tokens: 3,
      completion_tokens_details: { reasoning_tokens: 0 },
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(plain.usage!.total_tokens).toBe(plain.usage!.prompt_tokens + 3);
    expect(plain.usage!.cost).toBeUndefined();

    const withCost = await streamAll(msgs, { stream_options: { include_usage: true }, usage: { include: true } });
    const u = withCost.usage!;
    expect(u.cost).toBeCloseTo(u.prompt_tokens * 0.000001 + u.completion_tokens * 0.000002, 12);

    const forbidden = await streamAll(scripted({ usage: false }), { usage: { include: true } });
    expect(forbidden.usage).toBeUndefined();
  });

  it('errorAfter sends an OpenRouter-style error chunk mid-stream (SDK throws) and no [DONE]', async () => {
    let contentChunks = 0;
    const run = async () => {
      const stream = await client.chat.completions.create({ model: 'sim/echo', messages: scripted({ text: 20, errorAfter: 3 }), stream: true });
      for await (const c of stream) if (c.choices[0]?.delta.content) contentChunks++;
    };
    await expect(run()).rejects.toThrow(/simulated upstream error/);
    expect(contentChunks).toBe(3);

    const raw: string[] = [];
    for await (const d of sseData(await post({ model: 'm', stream: true, messages: scripted({ text: 20, errorAfter: 2 }) }))) raw.push(d);
    expect(raw[raw.length - 1]).toBe('{"error":{"message":"simulated upstream error","code":502}}');
    expect(raw).not.toContain('[DONE]');
    expect(raw.filter(isContentChunk)).toHaveLength(2);
  });

  it('errorMode "drop" destroys the connection after N chunks', async () => {
    const seen: string[] = [];
    const read = async () => {
      for await (const d of sseData(await post({ model: 'm', stream: true, messages: scripted({ text: 20, errorAfter: 2, errorMode: 'drop' }) }))) seen.push(d);
    };
    await expect(read()).rejects.toThrow();
    expect(seen.filter(isContentChunk)).toHaveLength(2);
  });

  it('stallAfter stops sending and keeps the connection open until the client aborts', async () => {
    const ac = new AbortController();
    const res = await post({ model: 'm', stream: true, messages: scripted({ text: 50, stallAfter: 4 }) }, ac.signal);
    const id = res.headers.get('x-generation-id')!;
    const it = sseData(res)[Symbol.asyncIterator]();
    let content = 0;
    while (content < 4) {
      const n = await it.next();
      if (n.done) throw new Error('stream ended early');
      if (isContentChunk(n.value)) content++;
    }
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), 300));
    const next = it.next().then(
      () => 'data' as const,
      () => 'closed' as const,
    );
    expect(await Promise.race([next, deadline])).toBe('deadline');
    ac.abort();
    await next; // the pending read settles once aborted
    const stats = await waitForGeneration(id);
    expect(stats.cancelled).toBe(true);
    expect(stats.tokens_completion).toBeGreaterThan(0);
  });

  it('malformedAfter sends unparsable data and ends without [DONE]', async () => {
    const raw: string[] = [];
    for await (const d of sseData(await post({ model: 'm', stream: true, messages: scripted({ text: 10, malformedAfter: 2 }) }))) raw.push(d);
    expect(raw.filter(isContentChunk)).toHaveLength(2);
    const tail = raw.slice(-2);
    expect(tail).toEqual(['{"choices":[{"delta":{"content":', 'not json at all']);
    for (const t of tail) expect(() => JSON.parse(t)).toThrow();
    expect(raw).not.toContain('[DONE]');

    // the SDK logs the unparsable line before throwing: silence it for this client
    const quiet = new OpenAI({ baseURL: sim.url, apiKey: 'x', maxRetries: 0, logLevel: 'off' });
    const viaSdk = async () => {
      const stream = await quiet.chat.completions.create({ model: 'm', messages: scripted({ text: 10, malformedAfter: 2 }), stream: true });
      for await (const _ of stream) void _;
    };
    await expect(viaSdk()).rejects.toThrow(/JSON/);
  });

  it('status answers immediately with an OpenAI-style error', async () => {
    const err = await client.chat.completions
      .create({ model: 'sim/echo', messages: scripted({ status: 429 }), stream: true })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);

    const res = await post({ model: 'm', messages: scripted({ status: 500 }) });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string; type: string } }).error).toMatchObject({ type: 'server_error' });
  });

  it('client abort mid-stream is recorded as cancelled with the tokens actually sent', async () => {
    const scenario = { text: 200, tokensPerSecond: 400 };
    const full = await client.chat.completions.create({ model: 'sim/echo', messages: scripted(scenario, 'abort me') });
    const total = full.usage!.completion_tokens;
    expect(total).toBeGreaterThan(100);

    const stream = await client.chat.completions.create({ model: 'sim/echo', messages: scripted(scenario, 'abort me'), stream: true });
    let id = '';
    let content = 0;
    for await (const c of stream) {
      id = c.id;
      if (c.choices[0]?.delta.content) content++;
      if (content === 5) break; // breaking out of the loop aborts the request
    }
    const stats = await waitForGeneration(id);
    expect(stats).toMatchObject({ id, model: 'sim/echo', cancelled: true, streamed: true });
    expect(stats.tokens_completion).toBeGreaterThanOrEqual(1);
    expect(stats.tokens_completion).toBeLessThan(total);
    expect(stats.total_cost).toBeGreaterThan(0);

    // a generation that ran to the end is reported with the same numbers as its usage
    const done = await streamAll(scripted({ text: 'complete answer' }), { usage: { include: true } });
    const doneStats = await waitForGeneration(done.chunks[0].id);
    expect(doneStats).toMatchObject({
      cancelled: false,
      tokens_prompt: done.usage!.prompt_tokens,
      tokens_completion: done.usage!.completion_tokens,
      total_cost: done.usage!.cost,
    });
    const missing = await fetch(`${sim.url}/generation?id=gen-0-nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: 'not found' } });
  });

  it('records request bodies at /__sim/requests (newest last) and clears them', async () => {
    const base = sim.url.replace(/\/v1$/, '');
    expect((await fetch(`${base}/__sim/requests`, { method: 'DELETE' })).status).toBe(200);
    await streamAll([{ role: 'user', content: 'first' }], { temperature: 0.5 });
    await streamAll([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'second' }]);
    const body = (await (await fetch(`${base}/__sim/requests?limit=5`)).json()) as { data: Record<string, unknown>[] };
    expect(body.data).toHaveLength(2);
    expect(body.data[0]).toMatchObject({ model: 'sim/echo', temperature: 0.5, stream: true, messages: [{ role: 'user', content: 'first' }] });
    expect(body.data[1].messages).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'second' }]);
    const one = (await (await fetch(`${base}/__sim/requests?limit=1`)).json()) as { data: unknown[] };
    expect(one.data).toEqual([body.data[1]]);
  });

  it('reasons on request, more with more effort, in either shape; the request log shows what was asked', async () => {
    const base = sim.url.replace(/\/v1$/, '');
    const reasoningOf = (r: Awaited<ReturnType<typeof streamAll>>) => r.deltas.map((d) => d.reasoning ?? '').join('');
    await fetch(`${base}/__sim/requests`, { method: 'DELETE' });
    const none = await streamAll([{ role: 'user', content: 'think?' }]);
    const low = await streamAll([{ role: 'user', content: 'think?' }], { reasoning: { effort: 'low' } });
    const high = await streamAll([{ role: 'user', content: 'think?' }], { reasoning_effort: 'high' });
    expect(reasoningOf(none)).toBe('');
    expect(reasoningOf(low).split(' ')).toHaveLength(8);
    expect(reasoningOf(high).split(' ')).toHaveLength(64);
    for (const r of [none, low, high]) expect(r.content).toBe('Echo: think?');
    // Reasoning comes before the text.
    const firstText = high.deltas.findIndex((d) => d.content);
    expect(high.deltas.findLastIndex((d) => d.reasoning)).toBeLessThan(firstText);
    // A scripted reasoning wins over the effort's default.
    const scriptedReasoning = await streamAll(scripted({ reasoning: 'just this' }), { reasoning_effort: 'high' });
    expect(reasoningOf(scriptedReasoning)).toBe('just this');
    const log = (await (await fetch(`${base}/__sim/requests?limit=4`)).json()) as { data: Record<string, unknown>[] };
    expect(log.data).toHaveLength(4);
    expect(log.data[0]).not.toHaveProperty('reasoning');
    expect(log.data[0]).not.toHaveProperty('reasoning_effort');
    expect(log.data[1].reasoning).toEqual({ effort: 'low' });
    expect(log.data[2].reasoning_effort).toBe('high');

    const bad = await post({ model: 'sim/echo', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'extreme' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('reasoning_effort');
  });

  it('counts every chat completion request at /__sim/stats (invalid ones too), unaffected by clearing the log', async () => {
    const base = sim.url.replace(/\/v1$/, '');
    const count = async () => ((await (await fetch(`${base}/__sim/stats`)).json()) as { chatCompletions: number }).chatCompletions;
    const before = await count();
    await streamAll([{ role: 'user', content: 'counted' }]);
    const bad = await fetch(`${sim.url}/chat/completions`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    await fetch(`${base}/__sim/requests`, { method: 'DELETE' });
    await fetch(`${sim.url}/models`);
    expect(await count()).toBe(before + 2);
  });

  it('answers non-streaming requests with a full chat.completion', async () => {
    const res = await client.chat.completions.create({
      model: 'sim/reasoning',
      messages: scripted({ reasoning: 'thinking', toolCalls: [{ name: 'f', arguments: { a: 1 } }], text: 'calling f' }),
    });
    const msg = res.choices[0].message as typeof res.choices[0]['message'] & { reasoning?: string };
    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^gen-/);
    expect(msg.content).toBe('calling f');
    expect(msg.reasoning).toBe('thinking');
    expect(msg.tool_calls).toEqual([{ id: 'call_sim_0_0', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    const usage = res.usage as OpenAI.CompletionUsage & { cost: number };
    expect(usage.completion_tokens_details?.reasoning_tokens).toBe(2);
    expect(usage.cost).toBeGreaterThan(0);
    const stats = await waitForGeneration(res.id);
    expect(stats).toMatchObject({ streamed: false, cancelled: false, tokens_completion: usage.completion_tokens });
  });

  it('echoSystem returns the system prompt; finishReason overrides', async () => {
    const r = await streamAll([
      { role: 'system', content: 'You are the harness assistant.' },
      { role: 'user', content: '@sim {"echoSystem":true,"finishReason":"length"}' },
    ]);
    expect(r.content).toBe('You are the harness assistant.');
    expect(r.finishReason).toBe('length');
  });

  it('paces chunks by tokensPerSecond and firstTokenDelayMs', async () => {
    const t0 = performance.now();
    const r = await streamAll(scripted({ text: 'a b c d e f g h i j k l m n o p q r s t', tokensPerSecond: 200, firstTokenDelayMs: 50 }));
    const elapsed = performance.now() - t0;
    expect(r.content).toBe('a b c d e f g h i j k l m n o p q r s t');
    expect(elapsed).toBeGreaterThanOrEqual(50 + 19 * 5 - 5);
  });

  it('stamp: each text token carries the time it was written, N tokens for text: N', async () => {
    const t0 = performance.timeOrigin + performance.now();
    const r = await streamAll(scripted({ text: 30, tokensPerSecond: 500, stamp: true }), { stream_options: { include_usage: true } });
    const t1 = performance.timeOrigin + performance.now();
    const pieces = r.deltas.map((d) => d.content).filter((c): c is string => !!c);
    expect(pieces).toHaveLength(30);
    for (const p of pieces) expect(p).toMatch(/^ ~\d{13}\.\d{3}~$/);
    const stamps = pieces.map((p) => Number(p.slice(2, -1)));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
    expect(stamps[0]).toBeGreaterThanOrEqual(t0);
    expect(stamps[stamps.length - 1]).toBeLessThanOrEqual(t1);
    // Paced at 500/s: the stamps are the write times, about 2 ms apart (29 gaps).
    expect(stamps[stamps.length - 1] - stamps[0]).toBeGreaterThanOrEqual(29 * 2 - 5);
    expect(r.finishReason).toBe('stop');
    expect(r.usage?.completion_tokens).toBe(30 * 5); // 20 chars each

    // A text string gets one stamp per token it would have had; non-streaming answers are stamped too.
    const s = await streamAll(scripted({ text: 'one two three', tokensPerSecond: 0, stamp: true }));
    expect(s.content).toMatch(/^( ~\d{13}\.\d{3}~){3}$/);
    const whole = await client.chat.completions.create({ model: 'm', messages: scripted({ text: 4, tokensPerSecond: 0, stamp: true }) });
    expect(whole.choices[0].message.content).toMatch(/^( ~\d{13}\.\d{3}~){4}$/);

    const bad = await post({ model: 'm', messages: scripted({ stamp: 'yes' }) });
    expect(bad.status).toBe(400);
  });

  it('streams a long unpaced answer completely (bursts yield, backpressure respected)', async () => {
    const expected = (await client.chat.completions.create({ model: 'm', messages: scripted({ text: 20_000, tokensPerSecond: 0 }, 'long') }))
      .choices[0].message.content;
    const r = await streamAll(scripted({ text: 20_000, tokensPerSecond: 0 }, 'long'));
    expect(r.content).toBe(expected);
    expect(r.content.split(' ')).toHaveLength(20_000);
    expect(r.finishReason).toBe('stop');
  });

  it('rejects a bad @sim scenario and invalid requests with 400', async () => {
    const err = await client.chat.completions
      .create({ model: 'sim/echo', messages: [{ role: 'user', content: '@sim {"text": oops}' }] })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/Invalid @sim scenario/);

    const bad = await post({ model: 'm', messages: [{ role: 'user', content: '@sim {"stallAfter":"soon"}' }] });
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: { message: string; type: string } };
    expect(badBody.error.type).toBe('invalid_request_error');
    expect(badBody.error.message).toMatch(/stallAfter/);

    for (const body of ['{not json', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), JSON.stringify({ model: 'm' }), 'null']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
  });

  it('close() ends open (stalled) streams so nothing hangs', async () => {
    const other = await startSimulator({ port: 0 });
    const res = await fetch(`${other.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', stream: true, messages: scripted({ stallAfter: 1 }) }),
    });
    const it = sseData(res)[Symbol.asyncIterator]();
    await it.next(); // role chunk
    await it.next(); // first content chunk, then it stalls
    const rest = (async () => {
      for (;;) if ((await it.next()).done) return 'ended';
    })().catch(() => 'errored');
    await other.close();
    expect(['ended', 'errored']).toContain(await rest);
  });
});
