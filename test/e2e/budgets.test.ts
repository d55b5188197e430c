// Monthly cost budgets, end to end: a user who spent past HARNESS_DEFAULT_MONTHLY_BUDGET_USD is refused (429
// budget_exceeded with Retry-After until the month ends) before any LLM call — the simulator counts every request it
// receives and sees none; a queued message reaching the front over budget ends as a failed run, also with no LLM call;
// an admin raises the budget (PUT /v1/admin/users/:userId/budget) and the user can send again; a non-admin gets 403;
// GET /v1/usage shows the month's budget; other users are unaffected.
import { startSystem, waitFor, type System } from '@harness/testing';
import { Client, readUntilTerminals, sim } from './support/client.js';

/** Far less than one answer of the simulator costs (about 50 words at 0.000002 USD per completion token). */
const BUDGET = 0.00005;
const ADMIN = 'budget-admin';
const COSTLY = { text: 50, tokensPerSecond: 0 };

let system: System;
let admin: Client;
let alice: Client;
let carol: Client;

/** Every chat completion request the LLM simulator has received. */
const llmRequests = async () =>
  ((await (await fetch(`${system.simulator!.url.replace(/\/v1$/, '')}/__sim/stats`)).json()) as { chatCompletions: number }).chatCompletions;

const budgetOf = async (c: Client) => (await c.call('GET', '/v1/usage')).body.budget;

/** The budget month of now (UTC). */
function thisMonth() {
  const now = new Date();
  return {
    periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
  };
}

/** Sends one message and waits for its run's end; returns the conversation's events. */
async function spend(c: Client, conversationId: string, content = sim('spend', COSTLY)) {
  const stream = await c.events(conversationId, { after: 0 });
  const before = (await c.messages(conversationId)).length;
  await c.send(conversationId, content);
  const events = await readUntilTerminals(stream, before / 2 + 1);
  stream.close();
  return events;
}

beforeAll(async () => {
  system = await startSystem({ label: 'budgets', env: { HARNESS_DEFAULT_MONTHLY_BUDGET_USD: String(BUDGET), HARNESS_ADMIN_USERS: ADMIN } });
  admin = await Client.as(system, ADMIN);
  alice = await Client.as(system, 'budget-alice');
  carol = await Client.as(system, 'budget-carol');
}, 90_000);

afterAll(async () => {
  await system?.stop();
});

describe('monthly budgets', () => {
  let aliceConv: string;

  test('a user past the budget is refused with 429 budget_exceeded and Retry-After, and the LLM is not called', async () => {
    aliceConv = await alice.newConversation();
    expect(await budgetOf(alice)).toEqual({ monthlyUsd: BUDGET, spentUsd: 0, remainingUsd: BUDGET, ...thisMonth() });

    // Under budget: the run happens (and costs more than the whole budget: runs in flight are not cut short).
    const first = await spend(alice, aliceConv);
    expect(first.some((e) => e.chunk.type === 'finish')).toBe(true);
    await waitFor(async () => (await budgetOf(alice)).spentUsd >= BUDGET, { timeoutMs: 10_000 });
    const usage = await budgetOf(alice);
    expect(usage).toMatchObject({ monthlyUsd: BUDGET, remainingUsd: 0, ...thisMonth() });

    const llmBefore = await llmRequests();
    const refused = await alice.call('POST', `/v1/conversations/${aliceConv}/messages`, { content: 'one more' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('budget_exceeded');
    expect(refused.body.error.message).toMatch(/monthly budget exceeded: \$0\.\d+ spent this month of a \$0\.00005 budget/);
    const { periodEnd } = thisMonth();
    expect(refused.body.error.details).toEqual({
      budgetUsd: BUDGET, spentUsd: usage.spentUsd, resetsAt: periodEnd, retryAfterSeconds: expect.any(Number),
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(refused.body.error.details.retryAfterSeconds);
    expect(Math.abs(retryAfter - (Date.parse(periodEnd) - Date.now()) / 1000)).toBeLessThan(30);

    // The same send asking for its run's stream, a regeneration and the AI SDK endpoint are refused the same way.
    const streamed = await alice.call('POST', `/v1/conversations/${aliceConv}/messages`, { content: 'stream it' }, { accept: 'text/event-stream' });
    expect({ status: streamed.status, code: streamed.body.error?.code }).toEqual({ status: 429, code: 'budget_exceeded' });
    expect(streamed.headers.get('retry-after')).not.toBeNull();
    const answer = (await alice.messages(aliceConv)).find((m) => m.role === 'assistant');
    const regen = await alice.call('POST', `/v1/conversations/${aliceConv}/messages/${answer.id}/regenerate`);
    expect({ status: regen.status, code: regen.body.error?.code }).toEqual({ status: 429, code: 'budget_exceeded' });
    expect(regen.headers.get('retry-after')).not.toBeNull();
    const viaSdk = await alice.call('POST', '/v1/chat', {
      id: aliceConv, trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'sdk send' }] }],
    });
    expect({ status: viaSdk.status, code: viaSdk.body.error?.code }).toEqual({ status: 429, code: 'budget_exceeded' });

    // Nothing reached the LLM, and nothing was stored.
    expect(await llmRequests()).toBe(llmBefore);
    expect((await alice.messages(aliceConv)).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  test('another user is unaffected', async () => {
    const conv = await carol.newConversation();
    const llmBefore = await llmRequests();
    const events = await spend(carol, conv, 'hello from carol');
    expect(events.some((e) => e.chunk.type === 'finish')).toBe(true);
    expect(await llmRequests()).toBe(llmBefore + 1);
  });

  test('a queued message that reaches the front over budget ends as a failed run, with no LLM call', async () => {
    const dave = await Client.as(system, 'budget-dave');
    const conv = await dave.newConversation();
    const stream = await dave.events(conv, { after: 0 });
    const llmBefore = await llmRequests();
    // The first run is slow enough for the second message to be queued behind it while Dave is still under budget.
    const first = await dave.send(conv, sim('slow and costly', { text: 50, tokensPerSecond: 100 }));
    const second = await dave.send(conv, 'queued');
    expect([first.status, second.status]).toEqual(['started', 'queued']);
    const events = await readUntilTerminals(stream, 2);
    stream.close();

    const terminals = events.filter((e) => ['finish', 'abort', 'error'].includes(e.chunk.type)).map((e) => e.chunk.type);
    expect(terminals).toEqual(['finish', 'error']);
    const error = events.find((e) => e.chunk.type === 'error')!;
    expect(error.chunk.errorText).toMatch(/^monthly budget exceeded: /);
    const failedRun = events.find((e) => e.chunk.type === 'data-run' && e.chunk.data.status === 'failed');
    expect(failedRun?.chunk.data.error).toBe(error.chunk.errorText);
    // The queued message became a user message and a failed answer; the queue is empty; one LLM call in all.
    const messages = await dave.messages(conv);
    expect(messages.map((m) => [m.role, m.status])).toEqual([['user', 'complete'], ['assistant', 'complete'], ['user', 'complete'], ['assistant', 'failed']]);
    expect(messages[3].error).toMatch(/^monthly budget exceeded: /);
    expect((await dave.conversation(conv)).queue).toEqual([]);
    await waitFor(async () => (await dave.conversation(conv)).activeRunId === null, { timeoutMs: 5_000 });
    expect(await llmRequests()).toBe(llmBefore + 1);
  });

  test('admin endpoints: a non-admin gets 403, bad input 400, no token 401', async () => {
    const path = '/v1/admin/users/budget-alice/budget';
    for (const [method, body] of [['GET', undefined], ['PUT', { monthlyBudgetUsd: 100 }], ['DELETE', undefined]] as const) {
      const r = await carol.call(method, path, body);
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 403, code: 'forbidden' });
    }
    expect((await fetch(`${system.gatewayUrl}${path}`)).status).toBe(401);
    for (const body of [{ monthlyBudgetUsd: -1 }, { monthlyBudgetUsd: '5' }, {}, { monthlyBudgetUsd: 5, extra: 1 }, { monthlyBudgetUsd: 1e12 }]) {
      const r = await admin.call('PUT', path, body);
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 400, code: 'validation_failed' });
    }
    const badUser = await admin.call('GET', `/v1/admin/users/${'x'.repeat(129)}/budget`);
    expect({ status: badUser.status, code: badUser.body.error?.code }).toEqual({ status: 400, code: 'validation_failed' });
    // Carol's refused attempt changed nothing.
    expect((await budgetOf(alice)).monthlyUsd).toBe(BUDGET);
  });

  test('an admin raises the budget: the user can send again, and GET /v1/usage shows the new budget', async () => {
    expect((await admin.call('GET', '/v1/admin/users/budget-alice/budget')).body).toEqual({
      userId: 'budget-alice', monthlyBudgetUsd: BUDGET, source: 'default', updatedAt: null, updatedBy: null,
    });
    const put = await admin.call('PUT', '/v1/admin/users/budget-alice/budget', { monthlyBudgetUsd: 2.5 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userId: 'budget-alice', monthlyBudgetUsd: 2.5 });
    expect((await admin.call('GET', '/v1/admin/users/budget-alice/budget')).body).toEqual({
      userId: 'budget-alice', monthlyBudgetUsd: 2.5, source: 'user', updatedAt: expect.any(String), updatedBy: ADMIN,
    });

    const llmBefore = await llmRequests();
    const events = await spend(alice, aliceConv, 'within the new budget');
    expect(events.filter((e) => e.chunk.type === 'finish')).toHaveLength(2);
    expect(await llmRequests()).toBe(llmBefore + 1);
    // A run's usage is committed before its terminal chunk is published: the spend already counts it.
    const b = await budgetOf(alice);
    expect(b).toEqual({ monthlyUsd: 2.5, spentUsd: expect.any(Number), remainingUsd: Number((2.5 - b.spentUsd).toFixed(8)), ...thisMonth() });
    expect(b.spentUsd).toBeGreaterThan(BUDGET);
  });

  test('null is unlimited and 0 stops a user at once, for that user only', async () => {
    const erin = await Client.as(system, 'budget-erin');
    const conv = await erin.newConversation();
    expect((await admin.call('PUT', '/v1/admin/users/budget-erin/budget', { monthlyBudgetUsd: 0 })).body.monthlyBudgetUsd).toBe(0);
    const refused = await erin.call('POST', `/v1/conversations/${conv}/messages`, { content: 'nothing at all' });
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 429, code: 'budget_exceeded' });

    expect((await admin.call('PUT', '/v1/admin/users/budget-erin/budget', { monthlyBudgetUsd: null })).body.monthlyBudgetUsd).toBeNull();
    expect(await budgetOf(erin)).toMatchObject({ monthlyUsd: null, remainingUsd: null });
    await spend(erin, conv);
    await spend(erin, conv);
    expect((await erin.messages(conv)).filter((m) => m.role === 'assistant' && m.status === 'complete')).toHaveLength(2);
    // Carol still has the default.
    expect((await budgetOf(carol)).monthlyUsd).toBe(BUDGET);

    // Back to the default: erin is over it again (she spent more than BUDGET while unlimited), so she is refused.
    const reset = await admin.call('DELETE', '/v1/admin/users/budget-erin/budget');
    expect({ status: reset.status, body: reset.body }).toEqual({
      status: 200, body: { userId: 'budget-erin', monthlyBudgetUsd: BUDGET, source: 'default', updatedAt: null, updatedBy: null },
    });
    expect(await budgetOf(erin)).toMatchObject({ monthlyUsd: BUDGET, remainingUsd: 0 });
    const again = await erin.call('POST', `/v1/conversations/${conv}/messages`, { content: 'over the default again' });
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 429, code: 'budget_exceeded' });
    // Resetting a user without a budget of their own is not an error.
    expect((await admin.call('DELETE', '/v1/admin/users/budget-erin/budget')).status).toBe(200);
  });
});
