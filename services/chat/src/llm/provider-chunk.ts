/**
 * What one OpenAI-compatible streaming chunk carries, normalised across providers:
 * reasoning arrives as `reasoning` (OpenRouter), `reasoning_details` (OpenRouter, structured) or `reasoning_content`
 * (vLLM, DeepSeek); usage arrives in a final chunk when `stream_options.include_usage` is set, with `cost` on OpenRouter.
 */
export interface ProviderUsage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  cost: number | null;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsDelta?: string;
}

export interface ParsedChunk {
  generationId: string | null;
  reasoning: string;
  text: string;
  toolCalls: ToolCallDelta[];
  finishReason: string | null;
  usage: ProviderUsage | null;
  error: string | null;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** Postgres cannot store U+0000 in text or jsonb: a model that emits it gets U+FFFD instead. */
const withoutNul = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '\ufffd') : s);

export function parseProviderChunk(raw: unknown): ParsedChunk {
  const out: ParsedChunk = { generationId: null, reasoning: '', text: '', toolCalls: [], finishReason: null, usage: null, error: null };
  if (!isRec(raw)) {
    out.error = 'the LLM sent a chunk that is not a JSON object';
    return out;
  }
  if (typeof raw.id === 'string') out.generationId = raw.id;
  if (isRec(raw.error)) {
    out.error = typeof raw.error.message === 'string' ? raw.error.message : 'the LLM reported an error';
    return out;
  }
  const choice = Array.isArray(raw.choices) && isRec(raw.choices[0]) ? raw.choices[0] : null;
  if (choice) {
    const delta = isRec(choice.delta) ? choice.delta : isRec(choice.message) ? choice.message : {};
    out.reasoning = withoutNul(reasoningOf(delta));
    if (typeof delta.content === 'string') out.text = withoutNul(delta.content);
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        if (!isRec(tc)) continue;
        const fn = isRec(tc.function) ? tc.function : {};
        out.toolCalls.push({
          index: typeof tc.index === 'number' ? tc.index : 0,
          ...(typeof tc.id === 'string' && tc.id ? { id: tc.id } : {}),
          ...(typeof fn.name === 'string' && fn.name ? { name: fn.name } : {}),
          ...(typeof fn.arguments === 'string' ? { argumentsDelta: withoutNul(fn.arguments) } : {}),
        });
      }
    }
    if (typeof choice.finish_reason === 'string') out.finishReason = choice.finish_reason;
  }
  if (isRec(raw.usage)) out.usage = usageOf(raw.usage);
  return out;
}

/** `reasoning` and `reasoning_details` carry the same text on OpenRouter: take one, never both. */
function reasoningOf(delta: Rec): string {
  if (typeof delta.reasoning === 'string' && delta.reasoning) return delta.reasoning;
  if (Array.isArray(delta.reasoning_details)) {
    return delta.reasoning_details
      .map((d) => (isRec(d) ? (typeof d.text === 'string' ? d.text : typeof d.summary === 'string' ? d.summary : '') : ''))
      .join('');
  }
  if (typeof delta.reasoning_content === 'string') return delta.reasoning_content;
  return '';
}

function usageOf(u: Rec): ProviderUsage {
  const details = isRec(u.completion_tokens_details) ? u.completion_tokens_details : {};
  const prompt = num(u.prompt_tokens);
  const completion = num(u.completion_tokens);
  return {
    promptTokens: prompt,
    completionTokens: completion,
    reasoningTokens: num(details.reasoning_tokens ?? u.reasoning_tokens),
    totalTokens: num(u.total_tokens) || prompt + completion,
    cost: typeof u.cost === 'number' && Number.isFinite(u.cost) ? u.cost : null,
  };
}
