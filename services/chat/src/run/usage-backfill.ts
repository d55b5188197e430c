import type { Usage } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import type { PriceBook } from '../llm/pricing.js';

export interface BackfillRequest {
  conversationId: string;
  userId: string;
  messageId: string;
  model: string;
  generationIds: string[];
}

type Rec = Record<string, unknown>;

/**
 * After an interrupted run, asks the provider's generation stats endpoint (OpenRouter: GET /generation?id=) for the
 * real tokens and cost, and records them as provider figures in place of the estimate.
 */
export class UsageBackfill {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly prices: PriceBook,
    private readonly record: (req: BackfillRequest, usage: Usage) => Promise<void>,
    private readonly logger: Logger,
    private readonly delaysMs = [300, 1_000, 3_000, 8_000],
  ) {}

  schedule(req: BackfillRequest, attempt = 0) {
    if (attempt >= this.delaysMs.length) {
      this.logger.info({ messageId: req.messageId }, 'provider usage not available; the estimate stands');
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.tryOnce(req).then(
        (done) => done || this.schedule(req, attempt + 1),
        (err) => {
          this.logger.warn({ messageId: req.messageId, ...errorFields(err) }, 'usage backfill failed');
          this.schedule(req, attempt + 1);
        },
      );
    }, this.delaysMs[attempt]);
    this.timers.add(t);
  }

  stop() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async tryOnce(req: BackfillRequest): Promise<boolean> {
    let prompt = 0, completion = 0, reasoning = 0, cost = 0, costKnown = true;
    for (const id of req.generationIds) {
      const res = await fetch(`${this.baseUrl}/generation?id=${encodeURIComponent(id)}`, {
        headers: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status === 404) return false;
      if (!res.ok) throw new Error(`generation stats answered HTTP ${res.status}`);
      const body = (await res.json()) as { data?: Rec };
      const d = body.data ?? {};
      const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
      prompt += n(d.tokens_prompt ?? d.native_tokens_prompt);
      completion += n(d.tokens_completion ?? d.native_tokens_completion);
      reasoning += n(d.native_tokens_reasoning);
      if (typeof d.total_cost === 'number') cost += d.total_cost;
      else costKnown = false;
    }
    const price = costKnown ? null : await this.prices.priceOf(req.model);
    await this.record(req, {
      promptTokens: prompt,
      completionTokens: completion,
      reasoningTokens: reasoning,
      totalTokens: prompt + completion,
      cost: costKnown ? cost : price ? prompt * price.prompt + completion * price.completion : 0,
      source: 'provider',
      costSource: costKnown ? 'provider' : 'estimated',
    });
    return true;
  }
}
