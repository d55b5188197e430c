import { startSystem, type System } from '@harness/testing';
import { Client } from './support/client.js';

/** PATCH /v1/conversations/:id {title}: the owner renames, another user cannot even see it, bad titles are 400. */
describe('renaming a conversation', () => {
  let system: System;
  let alice: Client;
  let mallory: Client;
  let conv: string;

  beforeAll(async () => {
    system = await startSystem({ label: 'conversation-rename' });
    alice = await Client.as(system, 'alice');
    mallory = await Client.as(system, 'mallory');
    conv = (await alice.createConversation((await alice.createHarness()).id)).id;
  }, 90_000);
  afterAll(() => system?.stop());

  const expectError = (r: { status: number; body: any }, status: number, code: string) =>
    expect({ status: r.status, code: r.body?.error?.code, message: typeof r.body?.error?.message }).toEqual({ status, code, message: 'string' });

  it('renames: 200 with the trimmed title, which GET and the list then show, and the order of the list stays', async () => {
    const older = (await alice.createConversation((await alice.createHarness()).id, 'older')).id;
    const before = (await alice.call('GET', '/v1/conversations')).body.items.map((c: { id: string }) => c.id);
    const r = await alice.call('PATCH', `/v1/conversations/${conv}`, { title: '  Trip to Lisbon  ' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: conv, title: 'Trip to Lisbon', activeRunId: null, queue: [] });
    expect(Date.parse(r.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(r.body.createdAt));
    expect((await alice.call('GET', `/v1/conversations/${conv}`)).body.title).toBe('Trip to Lisbon');
    const list = (await alice.call('GET', '/v1/conversations')).body.items;
    expect(list.map((c: { id: string }) => c.id)).toEqual(before);
    expect(list.find((c: { id: string }) => c.id === conv).title).toBe('Trip to Lisbon');
    expect(list.find((c: { id: string }) => c.id === older).title).toBe('older');
  });

  it("another user's conversation is 404 and stays as it was; a deleted or unknown one is 404", async () => {
    expectError(await mallory.call('PATCH', `/v1/conversations/${conv}`, { title: 'stolen' }), 404, 'not_found');
    expect((await alice.call('GET', `/v1/conversations/${conv}`)).body.title).not.toBe('stolen');
    expectError(await alice.call('PATCH', '/v1/conversations/00000000-0000-4000-8000-000000000000', { title: 'x' }), 404, 'not_found');
    const gone = (await alice.createConversation((await alice.createHarness()).id)).id;
    expect((await alice.call('DELETE', `/v1/conversations/${gone}`)).status).toBe(204);
    expectError(await alice.call('PATCH', `/v1/conversations/${gone}`, { title: 'back' }), 404, 'not_found');
  });

  it('a missing, blank, too long, non-string or extra-keyed title is 400 and changes nothing', async () => {
    await alice.call('PATCH', `/v1/conversations/${conv}`, { title: 'Kept' });
    for (const body of [{}, { title: '' }, { title: '   ' }, { title: 'x'.repeat(501) }, { title: 42 }, { title: 'ok', harnessId: conv }, { title: 'a\u0000b' }]) {
      const r = await alice.call('PATCH', `/v1/conversations/${conv}`, body);
      expectError(r, 400, 'validation_failed');
    }
    expect((await alice.call('PATCH', `/v1/conversations/${conv}`, { title: 'y'.repeat(500) })).status).toBe(200);
    expect((await alice.call('GET', `/v1/conversations/${conv}`)).body.title).toBe('y'.repeat(500));
  });
});
