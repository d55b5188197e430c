import type { Usage } from '@harness/contracts';
import type { ProviderUsage } from './provider-chunk.js';

/** USD per token. */
export interface Price {
  prompt: number;
  completion: number;
}

/** A few well-known models, so costs can be estimated with no catalogue at hand; LLM_PRICES and /models add to it. */
const BUILT_IN: Record<string, Price> = {
  'openai/gpt-4o': { prompt: 2.5e-6, completion: 10e-6 },
  'openai/gpt-4o-mini': { prompt: 0.15e-6, completion: 0.6e-6 },
  'gpt-4o': { prompt: 2.5e-6, completion: 10e-6 },
  'gpt-4o-mini': { prompt: 0.15e-6, completion: 0.6e-6 },
  'anthropic/claude-sonnet-4': { prompt: 3e-6, completion: 15e-6 },
  'deepseek/deepseek-r1': { prompt: 0.55e-6, completion: 2.19e-6 },
  'sim/echo': { prompt: 1e-6, completion: 2e-6 },
  'sim/reasoning': { prompt: 1e-6, completion: 2e-6 },
  'sim/tools': { prompt: 1e-6, completion: 2e-6 },
};

export class PriceBook {
  private readonly prices = new Map<string, Price>(Object.entries(BUILT_IN));
  /** Models priced by the operator (LLM_PRICES): the catalogue never overwrites them. */
  private readonly configured = new Set<string>();
  private catalogueLoadedAt = 0;

  constructor(
    pricesJson: string | undefined,
    private readonly loadCatalogue: () => Promise<Record<string, Price>>,
    private readonly catalogueTtlMs = 10 * 60_000,
  ) {
    if (pricesJson) {
      const parsed = JSON.parse(pricesJson) as Record<string, Price>;
      for (const [model, p] of Object.entries(parsed)) {
        this.prices.set(model, { prompt: Number(p.prompt), completion: Number(p.completion) });
        this.configured.add(model);
      }
    }
  }

  /** The model's price, refreshing the provider's catalogue when it is stale; null when unknown. */
  async priceOf(model: string): Promise<Price | null> {
    if (Date.now() - this.catalogueLoadedAt > this.catalogueTtlMs) {
      this.catalogueLoadedAt = Date.now();
      try {
        for (const [m, p] of Object.entries(await this.loadCatalogue())) if (!BUILT_IN[m] && !this.configured.has(m)) this.prices.set(m, p);
      } catch {
        // The catalogue is advisory: estimates fall back to the built-in table.
      }
    }
    return this.prices.get(model) ?? null;
  }
}

/** ~4 characters per token: the usual rule of thumb for English text with BPE tokenizers. */
export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

export function usageFromProvider(u: ProviderUsage, price: Price | null): Usage {
  const estimatedCost = price ? u.promptTokens * price.prompt + u.completionTokens * price.completion : 0;
  return {
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    reasoningTokens: u.reasoningTokens,
    totalTokens: u.totalTokens,
    cost: round(u.cost ?? estimatedCost),
    source: 'provider',
    costSource: u.cost !== null ? 'provider' : 'estimated',
  };
}

export function estimateUsage(promptChars: number, completionChars: number, reasoningChars: number, price: Price | null): Usage {
  const promptTokens = estimateTokens(promptChars);
  const reasoningTokens = estimateTokens(reasoningChars);
  const completionTokens = estimateTokens(completionChars) + reasoningTokens;
  return {
    promptTokens,
    completionTokens,
    reasoningTokens,
    totalTokens: promptTokens + completionTokens,
    cost: round(price ? promptTokens * price.prompt + completionTokens * price.completion : 0),
    source: 'estimated',
    costSource: 'estimated',
  };
}

export function addUsage(a: Usage | null, b: Usage): Usage {
  if (!a) return b;
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    cost: round(a.cost + b.cost),
    source: a.source === 'provider' && b.source === 'provider' ? 'provider' : 'estimated',
    costSource: a.costSource === 'provider' && b.costSource === 'provider' ? 'provider' : 'estimated',
  };
}

const round = (n: number) => Math.round(n * 1e8) / 1e8;
