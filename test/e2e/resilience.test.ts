import { startSystem, waitFor, type System } from '@harness/testing';
import { assertWellFormed, Client, readUntilTerminals, sim, textOf, toStreamEvent } from './support/client.js';

/** A misbehaving LLM or a dying chat replica ends the run cleanly; nothing accepted is lost; services stay up. */
describe('resilience', () => {
  let system: System;
  let alice: Client;

  beforeAll(async () => {
    system = await startSystem({
      label: 'resilience',
      chatReplicas: 2,
      env: { LLM_STALL_TIMEOUT_MS: '1500', CHAT_LEASE_TTL_MS: '3000', CHAT_REAPER_INTERVAL_MS: '500' },
    });
    alice = await Client.as(system, 'alice');
  }, 90_000);
  afterAll(() => system?.stop());

  const failingCases: [string, Record<string, unknown>, RegExp][] = [
    ['an error mid-stream', { text: 50, errorAfter: 5 }, /simulated upstream error/],
    ['a dropped connection', { text: 50, errorAfter: 5, errorMode: 'drop' }, /LLM/],
    ['a stall', { text: 50, stallAfter: 5 }, /sent nothing for 1500 ms/],
    ['malformed chunks', { text: 50, malformedAfter: 5 }, /malformed/],
    ['HTTP 429', { status: 429 }, /HTTP 429/],
  ];

  it.each(failingCases)('an LLM with %s fails the run clearly and the next message works', async (_name, scenario, expected) => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('break', { tokensPerSecond: 200, ...scenario }));
    const events = await readUntilTerminals(stream, 1, 20_000);
    assertWellFormed(events);
    const end = events.at(-1)!;
    expect(end.chunk.type).toBe('error');
    expect(end.chunk.errorText).toMatch(expected);
    const [, failed] = await alice.messages(conv);
    expect(failed).toMatchObject({ status: 'failed', error: end.chunk.errorText });
    expect(failed.usage).toMatchObject({ source: 'estimated' });

    await alice.send(conv, 'still there?');
    const next = await readUntilTerminals(stream, 2, 20_000);
    stream.close();
    expect(next.at(-1)!.chunk.type).toBe('finish');
    expect(textOf(next.slice(events.length))).toBe('Echo: still there?');
    expect((await fetch(`${system.gatewayUrl}/readyz`)).status).toBe(200);
  });

  it('an LLM that sends a NUL character: stored as U+FFFD, the run completes', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, sim('nul', { text: 'before\u0000after' }));
    const events = await readUntilTerminals(stream);
    stream.close();
    expect(events.at(-1)!.chunk.type).toBe('finish');
    const [, answer] = await alice.messages(conv);
    expect(answer.parts.at(-1).text).toBe('before\ufffdafter');
  });

  it('kill -9 of the chat replica running a run ends it within 30 s, keeps the partial answer, and the queue goes on', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    const sent = await alice.send(conv, sim('long', { text: 2000, tokensPerSecond: 50 }));
    const queued = await alice.send(conv, 'after the crash');
    expect(queued.status).toBe('queued');
    let deltas = 0;
    await stream.collectUntil((item) => toStreamEvent(item)?.chunk.type === 'text-delta' && ++deltas >= 5, { timeoutMs: 10_000 });

    const lease = await system.db.pool.query('SELECT owner FROM run_leases WHERE conversation_id = $1', [conv]);
    const owner = [0, 1].map((i) => system.process('chat', i)).find((p) => p.replicaId === lease.rows[0].owner)!;
    expect(owner).toBeDefined();
    const killedAt = Date.now();
    owner.kill('SIGKILL');
    await owner.exited;

    const events = await readUntilTerminals(stream, 2, 30_000);
    stream.close();
    const terminals = events.filter((e) => ['finish', 'abort', 'error'].includes(e.chunk.type));
    expect(terminals[0].chunk.type).toBe('error');
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    const messages = await alice.messages(conv);
    const crashed = messages.find((m) => m.role === 'assistant' && m.status === 'failed')!;
    expect(crashed).toBeDefined();
    expect(crashed.parts[0].text.length).toBeGreaterThan(0);
    expect(messages.map((m) => m.id)).toEqual(expect.arrayContaining([sent.messageId, queued.messageId]));
    // The queued message ran on the surviving replica.
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', status: 'complete' });
    expect(messages.at(-1)!.parts.at(-1).text).toBe('Echo: after the crash');
    await waitFor(async () => (await alice.conversation(conv)).activeRunId === null);
    await system.restart('chat', owner.index);
  }, 60_000);

  it('two chat replicas never run one conversation twice at once', async () => {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    const sends = await Promise.all(Array.from({ length: 8 }, (_, i) => alice.send(conv, sim(`m${i}`, { text: 20, tokensPerSecond: 200 }))));
    // Sent at once to two replicas: one starts, the rest are queued behind it (the only owner decides).
    expect(sends.filter((s) => s.status === 'queued').length).toBeGreaterThanOrEqual(1);
    const events = await readUntilTerminals(stream, 8, 60_000);
    stream.close();
    assertWellFormed(events);
    expect(events.filter((e) => e.chunk.type === 'finish')).toHaveLength(8);
  });
});
