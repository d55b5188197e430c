import { randomUUID } from 'node:crypto';
import { ChatSubjects } from '@harness/contracts';
import { NestStyleResponder, ok } from '../support/chat-responder.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let harnessId: string;
beforeAll(async () => {
  gw = await startGateway();
  harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
});
afterAll(async () => {
  await gw?.close();
});

const createConversation = async (user = 'alice', body: Record<string, unknown> = { harnessId }) => {
  const res = await gw.request('/v1/conversations', { method: 'POST', user, json: body });
  return { status: res.status, body: await res.json() };
};

describe('conversations', () => {
  it('creates a conversation and its event stream in one go', async () => {
    const { status, body } = await createConversation();
    expect(status).toBe(201);
    expect(body).toEqual({
      id: expect.any(String),
      harnessId,
      title: 'New conversation',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      activeRunId: null,
      queue: [],
    });
    expect(await gw.store.version(body.id)).toBe(0);
    const stream = await gw.db.pool.query('SELECT user_id FROM streams WHERE stream_id = $1', [body.id]);
    expect(stream.rows).toEqual([{ user_id: 'alice' }]);

    const titled = await createConversation('alice', { harnessId, title: 'Trip' });
    expect(titled.body.title).toBe('Trip');
  });

  it("refuses a harness that is not the user's with 404 naming harnessId", async () => {
    for (const id of [randomUUID(), harnessId]) {
      const { status, body } = await createConversation('mallory', { harnessId: id });
      expect(status).toBe(404);
      expect(body.error).toMatchObject({ code: 'not_found', details: { field: 'harnessId' } });
    }
    const bad = await createConversation('alice', { harnessId: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe('harnessId');
  });

  it('lists newest first with an opaque cursor until nextCursor is null', async () => {
    const user = `pager-${randomUUID().slice(0, 8)}`;
    const h = (await (await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } })).json()).id;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createConversation(user, { harnessId: h, title: `c${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const page = await (await gw.request(`/v1/conversations${q}`, { user })).json();
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    // Newest first; conversations created in the same millisecond are ordered by id.
    const expected = await gw.db.pool.query<{ id: string }>('SELECT id FROM conversations WHERE user_id = $1 ORDER BY created_at DESC, id DESC', [user]);
    expect(seen).toEqual(expected.rows.map((r) => r.id));
    expect([...seen].sort()).toEqual([...ids].sort());

    const all = await (await gw.request('/v1/conversations', { user })).json();
    expect(all.items).toHaveLength(7);
    expect(all.nextCursor).toBeNull();

    for (const q of ['?limit=0', '?limit=201', '?limit=abc', '?cursor=garbage']) {
      const res = await gw.request(`/v1/conversations${q}`, { user });
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('validation_failed');
    }
  });

  it('shows the active run and the queue, and messages oldest first without hidden or null fields', async () => {
    const { body: c } = await createConversation();
    const runId = randomUUID();
    await gw.db.pool.query('UPDATE conversations SET active_run_id = $2 WHERE id = $1', [c.id, runId]);
    const q1 = randomUUID();
    const q2 = randomUUID();
    await gw.db.pool.query(
      `INSERT INTO queue_item_views (id, conversation_id, user_id, content, position, created_at) VALUES
       ($1, $3, 'alice', 'second', 2, now()), ($2, $3, 'alice', 'first', 1, now())`,
      [q2, q1, c.id],
    );
    const got = await (await gw.request(`/v1/conversations/${c.id}`, { user: 'alice' })).json();
    expect(got.activeRunId).toBe(runId);
    expect(got.queue).toEqual([
      { id: q1, content: 'first', createdAt: expect.any(String) },
      { id: q2, content: 'second', createdAt: expect.any(String) },
    ]);
    const queue = await (await gw.request(`/v1/conversations/${c.id}/queue`, { user: 'alice' })).json();
    expect(queue.items).toEqual(got.queue);

    const [u, a, hidden] = [randomUUID(), randomUUID(), randomUUID()];
    const usage = { promptTokens: 3, completionTokens: 5, reasoningTokens: 0, totalTokens: 8, cost: 0.0001, source: 'provider' };
    await gw.db.pool.query(
      `INSERT INTO message_views (id, conversation_id, user_id, run_id, role, status, parts, model, usage, error, hidden, first_seq, created_at) VALUES
       ($1, $4, 'alice', NULL, 'user', 'complete', '[{"type":"text","text":"hi"}]', NULL, NULL, NULL, false, 1, now()),
       ($2, $4, 'alice', $5, 'assistant', 'complete', '[{"type":"text","text":"hello"}]', 'm', $6, NULL, false, 3, now()),
       ($3, $4, 'alice', $5, 'assistant', 'failed', '[]', 'm', NULL, 'boom', true, 2, now())`,
      [u, a, hidden, c.id, runId, JSON.stringify(usage)],
    );
    const messages = await (await gw.request(`/v1/conversations/${c.id}/messages`, { user: 'alice' })).json();
    expect(messages.items).toEqual([
      { id: u, role: 'user', status: 'complete', parts: [{ type: 'text', text: 'hi' }], createdAt: expect.any(String) },
      { id: a, role: 'assistant', status: 'complete', parts: [{ type: 'text', text: 'hello' }], model: 'm', usage, createdAt: expect.any(String) },
    ]);
  });

  it("keeps users apart: another user's conversation is 404 everywhere", async () => {
    const { body: c } = await createConversation();
    for (const path of ['', '/messages', '/queue', '/events']) {
      const res = await gw.request(`/v1/conversations/${c.id}${path}`, { user: 'mallory' });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    for (const [method, path] of [
      ['DELETE', ''],
      ['POST', '/interrupt'],
      ['DELETE', `/queue/${randomUUID()}`],
      ['POST', `/queue/${randomUUID()}/send-now`],
      ['POST', `/messages/${randomUUID()}/regenerate`],
    ] as const) {
      expect((await gw.request(`/v1/conversations/${c.id}${path}`, { method, user: 'mallory' })).status).toBe(404);
    }
    const send = await gw.request(`/v1/conversations/${c.id}/messages`, { method: 'POST', user: 'mallory', json: { content: 'hi' } });
    expect(send.status).toBe(404);
    const list = await (await gw.request('/v1/conversations', { user: 'mallory' })).json();
    expect(list.items.map((x: { id: string }) => x.id)).not.toContain(c.id);
  });

  it('deletes through the chat service (204) and then the conversation is gone', async () => {
    const { body: c } = await createConversation();
    const chat = new NestStyleResponder(gw.nats).on(ChatSubjects.deleteConversation, async (data) => {
      await gw.db.pool.query('UPDATE conversations SET deleted_at = now() WHERE id = $1', [data.conversationId]);
      return ok({ deleted: true });
    });
    await chat.ready();
    try {
      const res = await gw.request(`/v1/conversations/${c.id}`, { method: 'DELETE', user: 'alice', headers: { 'x-correlation-id': 'del-123' } });
      expect(res.status).toBe(204);
      expect(chat.received).toEqual([
        { subject: ChatSubjects.deleteConversation, data: { userId: 'alice', conversationId: c.id, correlationId: 'del-123' }, correlationHeader: 'del-123' },
      ]);
      expect((await gw.request(`/v1/conversations/${c.id}`, { user: 'alice' })).status).toBe(404);
    } finally {
      chat.stop();
    }
  });
});
