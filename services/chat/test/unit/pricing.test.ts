import { addUsage, estimateTokens, estimateUsage, PriceBook, usageFromProvider, type Price } from '../../src/llm/pricing.js';

const noCatalogue = async (): Promise<Record<string, Price>> => ({});

describe('estimateTokens', () => {
  it('is ceil(chars / 4)', () => {
    expect([0, 1, 4, 5, 8, 9].map(estimateTokens)).toEqual([0, 1, 1, 2, 2, 3]);
  });
});

describe('usageFromProvider', () => {
  const price: Price = { prompt: 1e-6, completion: 2e-6 };

  it('keeps the provider cost when it reported one (costSource provider)', () => {
    expect(usageFromProvider({ promptTokens: 100, completionTokens: 50, reasoningTokens: 20, totalTokens: 150, cost: 0.0042 }, price)).toEqual({
      promptTokens: 100, completionTokens: 50, reasoningTokens: 20, totalTokens: 150, cost: 0.0042, source: 'provider', costSource: 'provider',
    });
  });

  it('a provider cost of 0 stays 0 (free models), not the price table', () => {
    expect(usageFromProvider({ promptTokens: 100, completionTokens: 50, reasoningTokens: 0, totalTokens: 150, cost: 0 }, price)).toMatchObject({
      cost: 0, costSource: 'provider',
    });
  });

  it('without a provider cost: tokens from the provider, cost from the price table (costSource estimated)', () => {
    expect(usageFromProvider({ promptTokens: 100, completionTokens: 50, reasoningTokens: 0, totalTokens: 150, cost: null }, price)).toEqual({
      promptTokens: 100, completionTokens: 50, reasoningTokens: 0, totalTokens: 150, cost: 0.0002, source: 'provider', costSource: 'estimated',
    });
  });

  it('unknown price and no provider cost: cost 0', () => {
    expect(usageFromProvider({ promptTokens: 1, completionTokens: 1, reasoningTokens: 0, totalTokens: 2, cost: null }, null).cost).toBe(0);
  });

  it('rounds the cost to 1e-8 USD', () => {
    expect(usageFromProvider({ promptTokens: 3, completionTokens: 0, reasoningTokens: 0, totalTokens: 3, cost: null }, { prompt: 1 / 3 * 1e-6, completion: 0 }).cost).toBe(0.000001);
  });
});

describe('estimateUsage', () => {
  it('counts reasoning inside completion tokens, marks everything estimated', () => {
    // 400 prompt chars → 100 tokens; 41 text chars → 11; 80 reasoning chars → 20; completion = 11 + 20.
    expect(estimateUsage(400, 41, 80, { prompt: 1e-6, completion: 2e-6 })).toEqual({
      promptTokens: 100, completionTokens: 31, reasoningTokens: 20, totalTokens: 131, cost: 0.000162, source: 'estimated', costSource: 'estimated',
    });
  });

  it('no price → cost 0', () => {
    expect(estimateUsage(4, 4, 0, null)).toEqual({ promptTokens: 1, completionTokens: 1, reasoningTokens: 0, totalTokens: 2, cost: 0, source: 'estimated', costSource: 'estimated' });
  });
});

describe('addUsage', () => {
  const p = { promptTokens: 10, completionTokens: 5, reasoningTokens: 1, totalTokens: 15, cost: 0.1, source: 'provider', costSource: 'provider' } as const;

  it('null + b = b', () => {
    expect(addUsage(null, p)).toBe(p);
  });

  it('sums the figures; provider only when both are', () => {
    expect(addUsage(p, p)).toEqual({ promptTokens: 20, completionTokens: 10, reasoningTokens: 2, totalTokens: 30, cost: 0.2, source: 'provider', costSource: 'provider' });
    expect(addUsage(p, { ...p, costSource: 'estimated' })).toMatchObject({ source: 'provider', costSource: 'estimated' });
    expect(addUsage({ ...p, source: 'estimated', costSource: 'estimated' }, p)).toMatchObject({ source: 'estimated', costSource: 'estimated' });
  });

  it('the summed cost is rounded (no 0.30000000000000004)', () => {
    expect(addUsage({ ...p, cost: 0.1 }, { ...p, cost: 0.2 }).cost).toBe(0.3);
  });
});

describe('PriceBook', () => {
  it('knows the built-in models without a catalogue', async () => {
    const book = new PriceBook(undefined, noCatalogue);
    expect(await book.priceOf('openai/gpt-4o-mini')).toEqual({ prompt: 0.15e-6, completion: 0.6e-6 });
    expect(await book.priceOf('sim/echo')).toEqual({ prompt: 1e-6, completion: 2e-6 });
    expect(await book.priceOf('nobody/knows')).toBeNull();
  });

  it('LLM_PRICES adds models and overrides built-in prices (numbers given as strings too)', async () => {
    const book = new PriceBook(JSON.stringify({ 'my/model': { prompt: '0.000003', completion: '0.000004' }, 'gpt-4o': { prompt: 1e-6, completion: 1e-6 } }), noCatalogue);
    expect(await book.priceOf('my/model')).toEqual({ prompt: 3e-6, completion: 4e-6 });
    expect(await book.priceOf('gpt-4o')).toEqual({ prompt: 1e-6, completion: 1e-6 });
  });

  it('the catalogue adds models it lists, loaded once per TTL', async () => {
    let loads = 0;
    const book = new PriceBook(undefined, async () => {
      loads++;
      return { 'vendor/new-model': { prompt: 5e-6, completion: 6e-6 } };
    });
    expect(await book.priceOf('vendor/new-model')).toEqual({ prompt: 5e-6, completion: 6e-6 });
    expect(await book.priceOf('vendor/new-model')).toEqual({ prompt: 5e-6, completion: 6e-6 });
    expect(loads).toBe(1);
  });

  it('an explicit LLM_PRICES entry is not overwritten by the catalogue', async () => {
    const book = new PriceBook(JSON.stringify({ 'vendor/new-model': { prompt: 1e-6, completion: 1e-6 } }), async () => ({
      'vendor/new-model': { prompt: 9e-6, completion: 9e-6 },
    }));
    expect(await book.priceOf('vendor/new-model')).toEqual({ prompt: 1e-6, completion: 1e-6 });
  });

  it('a failing catalogue is advisory: built-in and configured prices still answer', async () => {
    const book = new PriceBook(JSON.stringify({ 'x/y': { prompt: 1e-6, completion: 2e-6 } }), async () => {
      throw new Error('catalogue down');
    });
    expect(await book.priceOf('x/y')).toEqual({ prompt: 1e-6, completion: 2e-6 });
    expect(await book.priceOf('gpt-4o')).toEqual({ prompt: 2.5e-6, completion: 10e-6 });
  });
});
