import type { ReasoningEffort } from '@harness/contracts';

/** How the provider is asked to think: OpenRouter's `reasoning: {effort}`, OpenAI's `reasoning_effort`, or not at all. */
export type ReasoningParam = 'openrouter' | 'openai' | 'none';

/** The request body fields that carry a harness's reasoning effort (none for a harness without one). */
export function reasoningParams(param: ReasoningParam, effort: ReasoningEffort | null): Record<string, unknown> {
  if (effort === null || param === 'none') return {};
  return param === 'openrouter' ? { reasoning: { effort } } : { reasoning_effort: effort };
}
