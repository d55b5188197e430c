import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Config } from '@harness/config';
import { DomainError } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { CONFIG, LOGGER } from '../core/tokens.js';

const TTL_MS = 5 * 60_000;
const TIMEOUT_MS = 10_000;

const price = z.union([z.number(), z.string()]).transform((v) => Number(v));
const Upstream = z.object({
  data: z.array(
    z.looseObject({
      id: z.string().min(1),
      name: z.string().optional(),
      pricing: z.looseObject({ prompt: price.optional(), completion: price.optional() }).optional(),
      supports_reasoning: z.boolean().optional(),
      supported_parameters: z.array(z.string()).optional(),
    }),
  ),
});

export interface ModelInfo {
  id: string;
  name: string;
  reasoning: boolean;
  /** USD per token. */
  pricing?: { prompt: number; completion: number };
}

export function toModelInfo(m: z.infer<typeof Upstream>['data'][number]): ModelInfo {
  const prompt = m.pricing?.prompt;
  const completion = m.pricing?.completion;
  const pricing = prompt !== undefined && completion !== undefined && Number.isFinite(prompt) && Number.isFinite(completion) ? { prompt, completion } : undefined;
  return {
    id: m.id,
    name: m.name ?? m.id,
    reasoning: m.supports_reasoning ?? m.supported_parameters?.includes('reasoning') ?? false,
    ...(pricing ? { pricing } : {}),
  };
}

/** The configured LLM endpoint's model list, cached for 5 minutes (one upstream request at a time). */
@Injectable()
export class ModelCatalog {
  private cached: { at: number; items: ModelInfo[] } | undefined;
  private inflight: Promise<ModelInfo[]> | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(): Promise<{ items: ModelInfo[] }> {
    if (this.cached && Date.now() - this.cached.at < TTL_MS) return { items: this.cached.items };
    this.inflight ??= this.fetchModels().finally(() => (this.inflight = undefined));
    return { items: await this.inflight };
  }

  private async fetchModels(): Promise<ModelInfo[]> {
    const { baseUrl, apiKey } = this.config.llm;
    try {
      const res = await fetch(`${baseUrl}/models`, {
        headers: { accept: 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`upstream answered ${res.status}`);
      const items = Upstream.parse(await res.json()).data.map(toModelInfo);
      this.cached = { at: Date.now(), items };
      return items;
    } catch (err) {
      this.logger.warn(errorFields(err), 'could not list the LLM models');
      throw new DomainError('service_unavailable', 'the model list is unavailable; try again later');
    }
  }
}
