import { randomUUID } from 'node:crypto';
import { startGateway, type Json, type TestGateway } from '../support/gateway.js';

/** Every list is paginated: `limit` + `cursor` in, `nextCursor` out (null on the last page); bad values are 400 naming the field. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.close();
});

/** Follows nextCursor from the first page to the last; returns the pages' items. */
async function allPages(path: string, user: string, limit: number): Promise<{ pages: Json[][]; items: Json[] }> {
  const pages: Json[][] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await gw.request(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { user });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.items.length).toBeLessThanOrEqual(limit);
    pages.push(body.items);
    cursor = body.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor);
  return { pages, items: pages.flat() };
}

async function expectBadField(path: string, user: string, field: string): Promise<void> {
  const res = await gw.request(path, { user });
  expect(res.status).toBe(400);
  const body = await res.json();
  expect(body.error.code).toBe('validation_failed');
  expect(body.error.message).toMatch(new RegExp(`^${field}: `));
  expect(body.error.details.issues[0].path).toBe(field);
}

describe('GET /v1/harnesses', () => {
  it('newest first in pages; without parameters one page holds them all, as before', async () => {
    const user = 'lister';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await (await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: `h${i}`, model: 'm' } })).json()).id);
    const { pages, items } = await allPages('/v1/harnesses', user, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(items.map((h) => h.id)).toEqual([...ids].reverse());
    expect(items[0]).toEqual(expect.objectContaining({ name: 'h4', model: 'm', mcpServers: [] }));
    const whole = await (await gw.request('/v1/harnesses', { user })).json();
    expect(whole.items.map((h: Json) => h.id)).toEqual([...ids].reverse());
    expect(whole.nextCursor).toBeNull();
    expect(await (await gw.request('/v1/harnesses', { user: 'someone-else' })).json()).toEqual({ items: [], nextCursor: null });
  });

  it('400 for a limit out of range or a cursor it did not make', async () => {
    await expectBadField('/v1/harnesses?limit=0', 'lister', 'limit');
    await expectBadField('/v1/harnesses?limit=201', 'lister', 'limit');
    await expectBadField('/v1/harnesses?limit=abc', 'lister', 'limit');
    await expectBadField('/v1/harnesses?cursor=not-a-cursor', 'lister', 'cursor');
  });
});

describe('GET /v1/conversations/:id/messages', () => {
  it('oldest first in pages (keyset on the stream position); hidden messages stay out', async () => {
    const user = 'reader';
    const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } })).json()).id;
    const conv = (await (await gw.request('/v1/conversations', { method: 'POST', user, json: { harnessId } })).json()).id;
    // The message projection's rows, as chat's projector writes them (first_seq: where each message begins).
    const texts = ['one', 'answer one', 'two', 'hidden answer', 'answer two', 'three', 'answer three'];
    for (const [i, text] of texts.entries()) {
      await gw.db.pool.query(
        `INSERT INTO message_views (id, conversation_id, user_id, role, status, parts, hidden, first_seq, created_at)
         VALUES ($1, $2, $3, $4, 'done', $5, $6, $7, now())`,
        [randomUUID(), conv, user, text.includes('answer') ? 'assistant' : 'user', JSON.stringify([{ type: 'text', text }]), text.startsWith('hidden'), 100 - (texts.length - i) * 7],
      );
    }
    const whole = await (await gw.request(`/v1/conversations/${conv}/messages`, { user })).json();
    expect(whole.nextCursor).toBeNull();
    const visible = texts.filter((t) => !t.startsWith('hidden'));
    expect(whole.items.map((m: Json) => m.parts[0].text)).toEqual(visible);
    const { pages, items } = await allPages(`/v1/conversations/${conv}/messages`, user, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    expect(items).toEqual(whole.items);
    expect((await allPages(`/v1/conversations/${conv}/messages`, user, 1)).items).toEqual(whole.items);
    await expectBadField(`/v1/conversations/${conv}/messages?limit=501`, user, 'limit');
    await expectBadField(`/v1/conversations/${conv}/messages?cursor=${encodeURIComponent(whole.items[0].id)}`, user, 'cursor');
    expect((await gw.request(`/v1/conversations/${conv}/messages?limit=2`, { user: 'intruder' })).status).toBe(404);
  });
});

describe('GET /v1/conversations/:id/queue', () => {
  it('in queue order, in pages', async () => {
    const user = 'queuer';
    const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } })).json()).id;
    const conv = (await (await gw.request('/v1/conversations', { method: 'POST', user, json: { harnessId } })).json()).id;
    // The queue projection's rows, as chat's projector writes them.
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, id] of ids.entries()) {
      await gw.db.pool.query('INSERT INTO queue_item_views (id, conversation_id, user_id, content, position, created_at) VALUES ($1, $2, $3, $4, $5, now())', [id, conv, user, `q${i}`, 10 - i]);
    }
    const { pages, items } = await allPages(`/v1/conversations/${conv}/queue`, user, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(items.map((q) => q.content)).toEqual(['q4', 'q3', 'q2', 'q1', 'q0']);
    const whole = await (await gw.request(`/v1/conversations/${conv}/queue`, { user })).json();
    expect(whole).toEqual({ items, nextCursor: null });
    await expectBadField(`/v1/conversations/${conv}/queue?limit=0`, user, 'limit');
    await expectBadField(`/v1/conversations/${conv}/queue?cursor=${'x'.repeat(600)}`, user, 'cursor');
  });
});

describe('GET /v1/harnesses/:id/tools', () => {
  it('a bad cursor or limit is 400 before any MCP server is asked', async () => {
    const user = 'tooler';
    const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user, json: { name: 'h', model: 'm' } })).json()).id;
    await expectBadField(`/v1/harnesses/${harnessId}/tools?limit=501`, user, 'limit');
    await expectBadField(`/v1/harnesses/${harnessId}/tools?cursor=abc`, user, 'cursor');
  });
});
