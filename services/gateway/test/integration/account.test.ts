import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** A minimal OpenAI-compatible `GET /models` upstream (a real HTTP server) that counts its calls. */
let upstream: Server;
let upstreamCalls = 0;
let upstreamUp = true;
let gw: TestGateway;

/** The budget month of now, UTC. */
function thisMonth() {
  const now = new Date();
  return {
    periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
  };
}
beforeAll(async () => {
  upstream = createServer((req, res) => {
    upstreamCalls++;
    if (!upstreamUp || req.url !== '/v1/models' || req.headers.authorization !== 'Bearer upstream-key') {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        data: [
          { id: 'sim/fast', name: 'Fast', pricing: { prompt: '0.000001', completion: '0.000002' } },
          { id: 'sim/thinker', name: 'Thinker', pricing: { prompt: 0.00001, completion: 0.00003 }, supports_reasoning: true },
          { id: 'bare', supported_parameters: ['reasoning', 'tools'] },
        ],
      }),
    );
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  gw = await startGateway({ LLM_BASE_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, LLM_API_KEY: 'upstream-key' });
});
afterAll(async () => {
  await gw?.close();
  await new Promise((r) => upstream?.close(r));
});

describe('settings', () => {
  it('defaults to standard, and PUT changes it for this user only', async () => {
    expect(await (await gw.request('/v1/me/settings', { user: 'alice' })).json()).toEqual({ displayMode: 'standard' });
    const put = await gw.request('/v1/me/settings', { method: 'PUT', user: 'alice', json: { displayMode: 'developer' } });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ displayMode: 'developer' });
    expect(await (await gw.request('/v1/me/settings', { user: 'alice' })).json()).toEqual({ displayMode: 'developer' });
    expect(await (await gw.request('/v1/me/settings', { user: 'bob' })).json()).toEqual({ displayMode: 'standard' });
    const bad = await gw.request('/v1/me/settings', { method: 'PUT', user: 'alice', json: { displayMode: 'loud' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.details.issues[0].path).toBe('displayMode');
  });
});

describe('usage', () => {
  it('sums the user’s usage in the window, per model, with cost as a number', async () => {
    const rows = [
      ['alice', 'm1', 10, 20, 0, '0.00010000', '2026-01-10T00:00:00Z'],
      ['alice', 'm1', 1, 2, 3, '0.00000500', '2026-01-20T00:00:00Z'],
      ['alice', 'm2', 5, 5, 5, '0.25000000', '2026-01-15T00:00:00Z'],
      ['alice', 'm2', 100, 100, 100, '1.00000000', '2025-12-01T00:00:00Z'],
      ['bob', 'm1', 1000, 1000, 0, '9.00000000', '2026-01-15T00:00:00Z'],
    ] as const;
    for (const [user, model, p, c, r, cost, at] of rows) {
      await gw.db.pool.query(
        `INSERT INTO usage_views (message_id, conversation_id, user_id, model, prompt_tokens, completion_tokens, reasoning_tokens, total_tokens, cost, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'provider', $10)`,
        [randomUUID(), randomUUID(), user, model, p, c, r, p + c + r, cost, at],
      );
    }
    const res = await gw.request('/v1/usage?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z', { user: 'alice' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      promptTokens: 16,
      completionTokens: 27,
      reasoningTokens: 8,
      cost: 0.250105,
      byModel: [
        { model: 'm1', promptTokens: 11, completionTokens: 22, reasoningTokens: 3, cost: 0.000105 },
        { model: 'm2', promptTokens: 5, completionTokens: 5, reasoningTokens: 5, cost: 0.25 },
      ],
      // The current month whatever the window (these rows are older): no budget configured, so unlimited.
      budget: { monthlyUsd: null, spentUsd: 0, remainingUsd: null, ...thisMonth() },
    });
    const all = await (await gw.request('/v1/usage', { user: 'alice' })).json();
    expect(all.promptTokens).toBe(116);
    expect((await (await gw.request('/v1/usage', { user: 'nobody' })).json())).toEqual({
      promptTokens: 0, completionTokens: 0, reasoningTokens: 0, cost: 0, byModel: [],
      budget: { monthlyUsd: null, spentUsd: 0, remainingUsd: null, ...thisMonth() },
    });
    expect((await gw.request('/v1/usage?from=yesterday', { user: 'alice' })).status).toBe(400);
  });
});

describe('usage: the budget of the current month', () => {
  it('shows the user’s own budget (set through chat, which owns the table), this month’s spend only, and what is left', async () => {
    const { periodStart } = thisMonth();
    const inMonth = new Date(Date.parse(periodStart) + 1_000).toISOString();
    const lastMonth = new Date(Date.parse(periodStart) - 1_000).toISOString();
    for (const [user, cost, at] of [['carol', '0.30000000', inMonth], ['carol', '0.05000000', new Date().toISOString()], ['carol', '5.00000000', lastMonth], ['dave', '7.00000000', inMonth]] as const) {
      await gw.db.pool.query(
        `INSERT INTO usage_views (message_id, conversation_id, user_id, model, prompt_tokens, completion_tokens, reasoning_tokens, total_tokens, cost, source, created_at)
         VALUES ($1, $2, $3, 'm1', 1, 1, 0, 2, $4, 'provider', $5)`,
        [randomUUID(), randomUUID(), user, cost, at],
      );
    }
    await gw.db.pool.query(`INSERT INTO user_budgets (user_id, monthly_usd, updated_by) VALUES ('carol', 1.5, 'root'), ('erin', NULL, 'root')`);
    const carol = await (await gw.request('/v1/usage', { user: 'carol' })).json();
    expect(carol.budget).toEqual({ monthlyUsd: 1.5, spentUsd: 0.35, remainingUsd: 1.15, ...thisMonth() });
    // The usage totals keep their own window (all time here).
    expect(carol.cost).toBe(5.35);
    // Spent past the budget: nothing remains (never negative). No budget of their own (NULL row): unlimited.
    await gw.db.pool.query(`UPDATE user_budgets SET monthly_usd = 0.1 WHERE user_id = 'carol'`);
    expect((await (await gw.request('/v1/usage', { user: 'carol' })).json()).budget).toMatchObject({ monthlyUsd: 0.1, spentUsd: 0.35, remainingUsd: 0 });
    expect((await (await gw.request('/v1/usage', { user: 'erin' })).json()).budget).toMatchObject({ monthlyUsd: null, remainingUsd: null });
    expect((await (await gw.request('/v1/usage', { user: 'dave' })).json()).budget).toMatchObject({ monthlyUsd: null, spentUsd: 7 });
  });
});

describe('models', () => {
  it('maps the upstream catalog, caches it, and is 503 when the upstream fails without a cache', async () => {
    const before = upstreamCalls;
    const res = await gw.request('/v1/models', { user: 'alice' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      items: [
        { id: 'sim/fast', name: 'Fast', reasoning: false, pricing: { prompt: 0.000001, completion: 0.000002 } },
        { id: 'sim/thinker', name: 'Thinker', reasoning: true, pricing: { prompt: 0.00001, completion: 0.00003 } },
        { id: 'bare', name: 'bare', reasoning: true },
      ],
    });
    upstreamUp = false;
    expect((await gw.request('/v1/models', { user: 'alice' })).status).toBe(200);
    expect(upstreamCalls).toBe(before + 1);

    const fresh = await startGateway({ LLM_BASE_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, LLM_API_KEY: 'upstream-key' });
    try {
      const down = await fresh.request('/v1/models', { user: 'alice' });
      expect(down.status).toBe(503);
      expect((await down.json()).error.code).toBe('service_unavailable');
    } finally {
      upstreamUp = true;
      await fresh.close();
    }
  });
});
