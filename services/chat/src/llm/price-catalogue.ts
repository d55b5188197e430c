import type { Price } from './pricing.js';

/** Per-token prices from the endpoint's model catalogue (OpenRouter's `/models` shape: pricing.prompt/completion). */
export async function loadPriceCatalogue(baseUrl: string, apiKey: string | undefined): Promise<Record<string, Price>> {
  const res = await fetch(`${baseUrl}/models`, {
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`models catalogue answered HTTP ${res.status}`);
  const body = (await res.json()) as { data?: { id?: unknown; pricing?: { prompt?: unknown; completion?: unknown } }[] };
  const out: Record<string, Price> = {};
  for (const m of body.data ?? []) {
    const prompt = Number(m.pricing?.prompt);
    const completion = Number(m.pricing?.completion);
    if (typeof m.id === 'string' && Number.isFinite(prompt) && Number.isFinite(completion)) out[m.id] = { prompt, completion };
  }
  return out;
}
