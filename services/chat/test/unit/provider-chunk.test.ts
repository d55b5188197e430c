import { parseProviderChunk, type ParsedChunk, type ProviderUsage } from '../../src/llm/provider-chunk.js';

// Recorded-style chunk sequences as OpenRouter, OpenAI and vLLM/DeepSeek stream them (shapes copied from their
// streaming responses; ids and numbers made up). Each sequence is folded the way the run executor consumes it.

interface Folded {
  reasoning: string;
  text: string;
  usage: ProviderUsage | null;
  finishReason: string | null;
  generationIds: string[];
  errors: string[];
  toolCalls: ParsedChunk['toolCalls'];
}

function fold(chunks: unknown[]): Folded {
  const out: Folded = { reasoning: '', text: '', usage: null, finishReason: null, generationIds: [], errors: [], toolCalls: [] };
  for (const raw of chunks) {
    const c = parseProviderChunk(raw);
    out.reasoning += c.reasoning;
    out.text += c.text;
    if (c.usage) out.usage = c.usage;
    if (c.finishReason) out.finishReason = c.finishReason;
    if (c.generationId && !out.generationIds.includes(c.generationId)) out.generationIds.push(c.generationId);
    if (c.error) out.errors.push(c.error);
    out.toolCalls.push(...c.toolCalls);
  }
  return out;
}

// --- OpenRouter -------------------------------------------------------------------------------------------------

const orBase = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'gen-1764240000-QmVyeUxvbmdJZA',
  provider: 'DeepInfra',
  model: 'deepseek/deepseek-r1',
  object: 'chat.completion.chunk',
  created: 1764240000,
  choices: [{ index: 0, delta: { role: 'assistant', ...delta }, finish_reason: finish, native_finish_reason: finish, logprobs: null }],
});
const orReasoning = (text: string) =>
  orBase({ content: '', reasoning: text, reasoning_details: [{ type: 'reasoning.text', text, format: 'unknown', index: 0 }] });

/** OpenRouter, reasoning model: every reasoning delta carries BOTH `reasoning` and `reasoning_details` with the same text. */
const OPENROUTER_REASONING = [
  orBase({ content: '', reasoning: null }),
  orReasoning('The user '),
  orReasoning('greets me. '),
  orReasoning('Answer briefly.'),
  orBase({ content: 'Hello', reasoning: null }),
  orBase({ content: ' there!', reasoning: null }),
  orBase({ content: '' }, 'stop'),
  {
    ...orBase({ content: '' }),
    usage: {
      prompt_tokens: 14,
      completion_tokens: 120,
      total_tokens: 134,
      cost: 0.00027105,
      is_byok: false,
      prompt_tokens_details: { cached_tokens: 0 },
      cost_details: { upstream_inference_cost: null },
      completion_tokens_details: { reasoning_tokens: 95 },
    },
  },
];

/** OpenRouter with OpenAI o-series / Gemini style structured reasoning: summaries plus encrypted blobs, no `reasoning` string. */
const OPENROUTER_REASONING_DETAILS_ONLY = [
  orBase({ content: '', reasoning_details: [{ type: 'reasoning.summary', summary: '**Planning** the reply. ', format: 'openai-responses-v1', index: 0 }] }),
  orBase({ content: '', reasoning: '', reasoning_details: [{ type: 'reasoning.summary', summary: 'Keep it short.', format: 'openai-responses-v1', index: 0 }] }),
  orBase({ content: '', reasoning_details: [{ type: 'reasoning.encrypted', data: 'gAAAAABpZ...==', format: 'openai-responses-v1', index: 1 }] }),
  orBase({ content: 'Hi.' }),
  orBase({ content: '' }, 'stop'),
  { ...orBase({ content: '' }), usage: { prompt_tokens: 20, completion_tokens: 64, total_tokens: 84, cost: 0.0003, completion_tokens_details: { reasoning_tokens: 60 } } },
];

/** OpenRouter mid-stream error: HTTP 200 already sent, then a chunk with a top-level `error` and finish_reason "error". */
const OPENROUTER_MID_STREAM_ERROR = [
  orBase({ content: 'Partial ' }),
  orBase({ content: 'answer' }),
  {
    id: 'gen-1764240000-QmVyeUxvbmdJZA',
    object: 'chat.completion.chunk',
    created: 1764240001,
    model: 'deepseek/deepseek-r1',
    provider: 'DeepInfra',
    error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
  },
];

// --- OpenAI -----------------------------------------------------------------------------------------------------

const oaBase = (delta: Record<string, unknown> | null, finish: string | null = null) => ({
  id: 'chatcmpl-CXq2mJ1kLw9s8dfT6uYbN3xZ',
  object: 'chat.completion.chunk',
  created: 1764240100,
  model: 'gpt-4o-mini-2024-07-18',
  service_tier: 'default',
  system_fingerprint: 'fp_560af6e559',
  choices: delta ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
  usage: null,
});

/** OpenAI with `stream_options.include_usage`: text, then a final chunk with `choices: []` and usage (no cost). */
const OPENAI_TEXT = [
  oaBase({ role: 'assistant', content: '', refusal: null }),
  oaBase({ content: 'Two' }),
  oaBase({ content: ' plus two is four.' }),
  oaBase({}, 'stop'),
  {
    ...oaBase(null),
    usage: {
      prompt_tokens: 9,
      completion_tokens: 7,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  },
];

/** OpenAI tool calls: a header delta (id, name, empty arguments) then argument fragments by index, two calls. */
const OPENAI_TOOLS = [
  oaBase({ role: 'assistant', content: null, refusal: null }),
  oaBase({ tool_calls: [{ index: 0, id: 'call_5kD2', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  oaBase({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
  oaBase({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
  oaBase({ tool_calls: [{ index: 1, id: 'call_9xQ1', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
  oaBase({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
  oaBase({}, 'tool_calls'),
  { ...oaBase(null), usage: { prompt_tokens: 80, completion_tokens: 40, total_tokens: 120, completion_tokens_details: { reasoning_tokens: 0 } } },
];

// --- vLLM / DeepSeek --------------------------------------------------------------------------------------------

const dsBase = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: '0f7c5f5e-5b2a-4c1e-9a57-0c9d1f0d2a11',
  object: 'chat.completion.chunk',
  created: 1764240200,
  model: 'deepseek-reasoner',
  system_fingerprint: 'fp_7e73fd9a08_prod0820_fp8_kvcache',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});

/** DeepSeek API / vLLM with a reasoning parser: `reasoning_content`, null while the other field streams. */
const DEEPSEEK_REASONING = [
  dsBase({ role: 'assistant', content: null, reasoning_content: '' }),
  dsBase({ content: null, reasoning_content: 'Okay, ' }),
  dsBase({ content: null, reasoning_content: 'the user asks 1+1.' }),
  dsBase({ content: '1 + 1', reasoning_content: null }),
  dsBase({ content: ' = 2', reasoning_content: null }),
  dsBase({ content: '', reasoning_content: null }, 'stop'),
  {
    ...dsBase({ content: '', reasoning_content: null }),
    choices: [],
    usage: {
      prompt_tokens: 13,
      completion_tokens: 52,
      total_tokens: 65,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 41 },
      prompt_cache_hit_tokens: 0,
      prompt_cache_miss_tokens: 13,
    },
  },
];

/** vLLM's own usage chunk: no completion_tokens_details; some builds report `reasoning_tokens` at the top level. */
const VLLM_USAGE_ONLY = { id: 'chatcmpl-b1d2', object: 'chat.completion.chunk', created: 1764240300, model: 'Qwen/QwQ-32B', choices: [], usage: { prompt_tokens: 30, total_tokens: 75, completion_tokens: 45, reasoning_tokens: 20 } };

describe('parseProviderChunk: reasoning fields', () => {
  it('OpenRouter `reasoning` + `reasoning_details` on the same delta count once', () => {
    const f = fold(OPENROUTER_REASONING);
    expect(f.reasoning).toBe('The user greets me. Answer briefly.');
    expect(f.text).toBe('Hello there!');
    expect(f.finishReason).toBe('stop');
    expect(f.generationIds).toEqual(['gen-1764240000-QmVyeUxvbmdJZA']);
    expect(f.errors).toEqual([]);
  });

  it('a single OpenRouter delta with both fields yields the text once', () => {
    expect(parseProviderChunk(orReasoning('abc')).reasoning).toBe('abc');
  });

  it('OpenRouter `reasoning_details` alone: summaries count, encrypted blobs do not', () => {
    const f = fold(OPENROUTER_REASONING_DETAILS_ONLY);
    expect(f.reasoning).toBe('**Planning** the reply. Keep it short.');
    expect(f.text).toBe('Hi.');
  });

  it('vLLM/DeepSeek `reasoning_content` (null while content streams)', () => {
    const f = fold(DEEPSEEK_REASONING);
    expect(f.reasoning).toBe('Okay, the user asks 1+1.');
    expect(f.text).toBe('1 + 1 = 2');
    expect(f.finishReason).toBe('stop');
  });

  it('a chunk without any reasoning field has empty reasoning', () => {
    expect(parseProviderChunk(oaBase({ content: 'x' })).reasoning).toBe('');
  });
});

describe('parseProviderChunk: usage', () => {
  it('OpenRouter usage with cost and reasoning tokens', () => {
    expect(fold(OPENROUTER_REASONING).usage).toEqual({ promptTokens: 14, completionTokens: 120, reasoningTokens: 95, totalTokens: 134, cost: 0.00027105 });
  });

  it('OpenAI usage (choices: []) without cost → cost null', () => {
    const f = fold(OPENAI_TEXT);
    expect(f.text).toBe('Two plus two is four.');
    expect(f.usage).toEqual({ promptTokens: 9, completionTokens: 7, reasoningTokens: 0, totalTokens: 16, cost: null });
  });

  it('DeepSeek usage: reasoning tokens from completion_tokens_details', () => {
    expect(fold(DEEPSEEK_REASONING).usage).toEqual({ promptTokens: 13, completionTokens: 52, reasoningTokens: 41, totalTokens: 65, cost: null });
  });

  it('vLLM usage: top-level reasoning_tokens', () => {
    expect(parseProviderChunk(VLLM_USAGE_ONLY).usage).toEqual({ promptTokens: 30, completionTokens: 45, reasoningTokens: 20, totalTokens: 75, cost: null });
  });

  it('usage: null on content chunks (OpenAI) is no usage; missing total is computed; junk numbers become 0', () => {
    expect(parseProviderChunk(oaBase({ content: 'x' })).usage).toBeNull();
    expect(parseProviderChunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 6 } }).usage).toEqual({
      promptTokens: 5, completionTokens: 6, reasoningTokens: 0, totalTokens: 11, cost: null,
    });
    expect(parseProviderChunk({ choices: [], usage: { prompt_tokens: -3, completion_tokens: 'many', total_tokens: null, cost: 'free' } }).usage).toEqual({
      promptTokens: 0, completionTokens: 0, reasoningTokens: 0, totalTokens: 0, cost: null,
    });
  });

  it('a zero cost is a provider cost of 0, not "unknown"', () => {
    expect(parseProviderChunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, cost: 0 } }).usage?.cost).toBe(0);
  });
});

describe('parseProviderChunk: tool calls', () => {
  it('OpenAI tool call deltas keep index, id, name and argument fragments', () => {
    const f = fold(OPENAI_TOOLS);
    expect(f.toolCalls).toEqual([
      { index: 0, id: 'call_5kD2', name: 'get_weather', argumentsDelta: '' },
      { index: 0, argumentsDelta: '{"ci' },
      { index: 0, argumentsDelta: 'ty":"Paris"}' },
      { index: 1, id: 'call_9xQ1', name: 'get_time', argumentsDelta: '' },
      { index: 1, argumentsDelta: '{}' },
    ]);
    expect(f.finishReason).toBe('tool_calls');
    expect(f.text).toBe('');
    expect(f.usage?.totalTokens).toBe(120);
  });

  it('a tool call without index defaults to 0; junk entries are skipped', () => {
    expect(parseProviderChunk(oaBase({ tool_calls: [null, 'x', { function: { name: 'f', arguments: '{}' } }] })).toolCalls).toEqual([
      { index: 0, name: 'f', argumentsDelta: '{}' },
    ]);
  });

  it('a non-streaming message (choices[0].message) is read like a delta', () => {
    const c = parseProviderChunk({ id: 'gen-x', choices: [{ index: 0, message: { role: 'assistant', content: 'whole', reasoning: 'why' }, finish_reason: 'stop' }] });
    expect(c).toMatchObject({ text: 'whole', reasoning: 'why', finishReason: 'stop', generationId: 'gen-x' });
  });
});

describe('parseProviderChunk: errors', () => {
  it('OpenRouter mid-stream error object: text before it is kept, the error carries the provider message', () => {
    const f = fold(OPENROUTER_MID_STREAM_ERROR);
    expect(f.text).toBe('Partial answer');
    expect(f.errors).toEqual(['Provider disconnected unexpectedly']);
  });

  it('an error chunk carries no text, usage or finish reason from the same chunk', () => {
    const c = parseProviderChunk(OPENROUTER_MID_STREAM_ERROR[2]);
    expect(c).toEqual({
      generationId: 'gen-1764240000-QmVyeUxvbmdJZA', reasoning: '', text: '', toolCalls: [], finishReason: null, usage: null,
      error: 'Provider disconnected unexpectedly',
    });
  });

  it('an error object without a message still is an error', () => {
    expect(parseProviderChunk({ error: { code: 502 } }).error).toBe('the LLM reported an error');
  });

  it.each([['a string', 'data: nonsense'], ['null', null], ['a number', 42], ['an array', [{ choices: [] }]]])(
    'a non-object chunk (%s) is an error',
    (_what, raw) => {
      const c = parseProviderChunk(raw);
      expect(c.error).toBe('the LLM sent a chunk that is not a JSON object');
      expect(c.text).toBe('');
    },
  );

  it('`error: null` (some proxies send it) is not an error', () => {
    expect(parseProviderChunk({ ...oaBase({ content: 'ok' }), error: null })).toMatchObject({ error: null, text: 'ok' });
  });
});
