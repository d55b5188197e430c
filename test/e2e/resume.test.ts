import { startSystem, type System } from '@harness/testing';
import { assertWellFormed, Client, eventsOf, isTerminal, readUntilTerminals, sim, textOf, toStreamEvent, type StreamEvent } from './support/client.js';

/** Resume: a client that drops reconnects with Last-Event-ID (or ?after=) and gets every event once, in order. */
describe('resume', () => {
  let system: System;
  let alice: Client;

  beforeAll(async () => {
    system = await startSystem({ label: 'resume' });
    alice = await Client.as(system, 'alice');
  }, 90_000);
  afterAll(() => system?.stop());

  it('reconnecting many times mid-run with Last-Event-ID loses and repeats nothing', async () => {
    const conv = await alice.newConversation();
    await alice.send(conv, sim('long answer', { text: 300, tokensPerSecond: 400 }));
    const received: StreamEvent[] = [];
    let last = 0;
    let reconnects = 0;
    // Drop after a few events each time; the last connection reads to the end.
    for (;;) {
      const stream = await alice.events(conv, reconnects === 0 ? { after: 0 } : { lastEventId: last });
      let done = false;
      let taken = 0;
      const limit = 7 + reconnects * 3;
      await stream.collectUntil((item) => {
        const e = toStreamEvent(item);
        if (!e) return false;
        received.push(e);
        last = e.seq;
        taken++;
        done = isTerminal(e);
        return done || (reconnects < 15 && taken >= limit);
      }, { timeoutMs: 20_000 });
      stream.close();
      if (done) break;
      reconnects++;
    }
    expect(reconnects).toBeGreaterThanOrEqual(5);
    const replay = await alice.events(conv, { after: 0 });
    const stored = await readUntilTerminals(replay);
    replay.close();
    expect(received.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect(received.map((e) => e.chunk)).toEqual(stored.map((e) => e.chunk));
    assertWellFormed(received);
    expect(textOf(received).split(' ').length).toBeGreaterThanOrEqual(300);
  });

  it('resumes with ?after= from any point of a stored conversation', async () => {
    const conv = await alice.newConversation();
    const s = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'one');
    const all = await readUntilTerminals(s);
    s.close();
    for (const cut of [1, 5, Math.floor(all.length / 2), all.length - 1]) {
      const r = await alice.events(conv, { after: all[cut - 1].seq });
      const rest = await r.collectUntil((item) => toStreamEvent(item)?.seq === all.at(-1)!.seq, { timeoutMs: 10_000 });
      r.close();
      expect(eventsOf(rest).map((e) => e.seq)).toEqual(all.slice(cut).map((e) => e.seq));
    }
  });

  it('without a position starts at the active run and a second tab sees the same run', async () => {
    const conv = await alice.newConversation();
    const first = await alice.events(conv, { after: 0 });
    await alice.send(conv, 'warm up');
    await readUntilTerminals(first);
    await alice.send(conv, sim('slow', { text: 60, tokensPerSecond: 100 }));
    await first.collectUntil((item) => toStreamEvent(item)?.chunk.type === 'text-delta', { timeoutMs: 10_000 });
    const tab = await alice.events(conv);
    const tabEvents = await readUntilTerminals(tab);
    tab.close();
    const firstEvents = await readUntilTerminals(first, 2);
    first.close();
    expect(tabEvents[0].chunk.type).toBe('start');
    const runStart = firstEvents.findIndex((e) => e.seq === tabEvents[0].seq);
    expect(firstEvents.slice(runStart).map((e) => e.seq)).toEqual(tabEvents.map((e) => e.seq));
  });

  it('rejects a bad position', async () => {
    const conv = await alice.newConversation();
    expect((await alice.call('GET', `/v1/conversations/${conv}/events?after=-3`)).status).toBe(400);
    expect((await alice.call('GET', `/v1/conversations/${conv}/events?after=abc`)).status).toBe(400);
  });
});
