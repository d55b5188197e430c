import { connect } from 'node:net';
import { readSse, startSystem, waitFor, type System, type SystemProcess } from '@harness/testing';
import { Client, eventsOf, readUntilTerminals, sim, textOf, toStreamEvent } from './support/client.js';

// A signed-in user trying to take Harness down through the chat path, while another user chats at the same time:
// every attempt gets a clear answer, nothing is lost, and every service keeps running.

const CONTROLS = '\u0001'.repeat(99_000); // 99,000 characters, 594,002 bytes once JSON-escaped

describe('abuse: the chat path', () => {
  let system: System;
  let mallory: Client;
  let alice: Client;
  let services: SystemProcess[];

  beforeAll(async () => {
    system = await startSystem({ label: 'abuse-chat' });
    mallory = await Client.as(system, 'mallory');
    alice = await Client.as(system, 'alice');
    services = (['gateway', 'chat', 'mcp-broker', 'auth'] as const).map((name) => system.process(name));
  }, 90_000);
  afterAll(() => system?.stop());

  /** Every service still the process it was at the start (none exited, none restarted). */
  async function expectAllUp() {
    const exited = await Promise.all(services.map((p) => Promise.race([p.exited.then(() => p.name), Promise.resolve(null)])));
    expect(exited.filter(Boolean)).toEqual([]);
    expect((await fetch(`${system.gatewayUrl}/readyz`)).status).toBe(200);
  }

  /** Another user's whole conversation, start to finish. */
  async function aliceChats(text: string) {
    const conv = await alice.newConversation();
    const stream = await alice.events(conv, { after: 0 });
    await alice.send(conv, text);
    const events = await readUntilTerminals(stream, 1, 20_000);
    stream.close();
    expect(events.at(-1)!.chunk.type).toBe('finish');
    expect(textOf(events)).toBe(`Echo: ${text}`);
  }

  it('a queue of huge control-character messages is stored, streamed by reference and bounded (429); chat stays up', async () => {
    const conv = await mallory.newConversation();
    const stream = await mallory.events(conv, { after: 0 });
    // A run that goes quiet (the LLM stalls): no later live event can reveal a lost one, only the event itself counts.
    const running = await mallory.send(conv, sim('hold the run', { text: 50, stallAfter: 2 }));
    expect(running.status).toBe('started');

    const queued = [];
    for (let i = 0; i < 2; i++) queued.push(await mallory.send(conv, CONTROLS));
    expect(queued.map((q) => q.status)).toEqual(['queued', 'queued']);
    // The third, followed as its own stream: that stream goes live from the event that queued it, without reading
    // Postgres, and that event (the queue of three such messages) is larger than one NATS message may be. It arrives
    // anyway, as a reference the gateway resolves from Postgres.
    const third = await readSse(
      await fetch(`${system.gatewayUrl}/v1/conversations/${conv}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mallory.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ content: CONTROLS }),
      }),
    );
    expect(third.response.headers.get('x-harness-queue-item-id')).toBeTruthy();
    const [first] = eventsOf(await third.collectUntil((item) => toStreamEvent(item) !== null, { timeoutMs: 10_000 }));
    expect(first.chunk.type).toBe('data-queue');
    expect(first.chunk.data.items.map((i: { content: string }) => i.content.length)).toEqual([99_000, 99_000, 99_000]);
    // Alice, meanwhile, is unaffected.
    await aliceChats('hello while mallory floods');

    await stream.collectUntil((item) => {
      const e = toStreamEvent(item);
      return e?.chunk.type === 'data-queue' && e.chunk.data.items.length === 3;
    }, { timeoutMs: 15_000 });
    const last = eventsOf(stream.received).filter((e) => e.chunk.type === 'data-queue').at(-1)!;
    expect(last.seq).toBe(first.seq);

    // A fourth would make the queue larger than CHAT_MAX_QUEUE_BYTES (2 MiB): refused, clearly, with a retry hint.
    const refused = await mallory.call('POST', `/v1/conversations/${conv}/messages`, { content: CONTROLS });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'rate_limited', details: { limit: 'queued_bytes' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectAllUp();

    // A client resuming from before the queue event gets it from the store, byte for byte.
    const resumed = await mallory.events(conv, { lastEventId: last.seq - 1 });
    const again = await resumed.collectUntil((item) => toStreamEvent(item)?.seq === last.seq, { timeoutMs: 10_000 });
    expect(toStreamEvent(again.at(-1)!)!.chunk).toEqual(last.chunk);
    resumed.close();

    // The queue drains in order once the run is stopped: every queued message becomes a message of its own.
    expect((await mallory.call('POST', `/v1/conversations/${conv}/interrupt`)).status).toBe(202);
    await readUntilTerminals(stream, 4, 60_000);
    stream.close();
    third.close();
    const messages = await mallory.messages(conv);
    expect(messages.filter((m) => m.role === 'user').map((m) => m.parts[0].text.length)).toEqual([expect.any(Number), 99_000, 99_000, 99_000]);
    await waitFor(async () => (await mallory.conversation(conv)).activeRunId === null, { timeoutMs: 10_000 });
    await expectAllUp();
    await aliceChats('and after it');
  }, 120_000);

  it('an LLM that streams half a surrogate pair: the run completes and is stored (as U+FFFD), nothing lost', async () => {
    const conv = await mallory.newConversation();
    const stream = await mallory.events(conv, { after: 0 });
    await mallory.send(conv, sim('cut mid-character', { text: 'before \ud83d after' }));
    const events = await readUntilTerminals(stream, 1, 20_000);
    stream.close();
    expect(events.at(-1)!.chunk.type).toBe('finish');
    const [, answer] = await mallory.messages(conv);
    expect(answer.status).toBe('complete');
    expect(answer.parts.at(-1).text).toBe('before \ufffd after');
    // Replayed from the store: every event there, in order, the same text.
    const replay = await mallory.events(conv, { after: 0 });
    const stored = await readUntilTerminals(replay, 1, 10_000);
    replay.close();
    expect(stored.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    await expectAllUp();
  });

  it('resume positions past what a seq can be are 400 naming the field, not a stream that breaks', async () => {
    const conv = await mallory.newConversation();
    const byQuery = await mallory.call('GET', `/v1/conversations/${conv}/events?after=9999999999`);
    expect(byQuery.status).toBe(400);
    expect(byQuery.body.error).toMatchObject({ code: 'validation_failed', details: { issues: [{ path: 'after' }] } });
    const byHeader = await mallory.call('GET', `/v1/conversations/${conv}/events`, undefined, { 'last-event-id': '9999999999' });
    expect(byHeader.status).toBe(400);
    expect(byHeader.body.error.details.issues[0].path).toBe('Last-Event-ID');
    await expectAllUp();
  });

  it('an anonymous 16 MiB body is refused with 401 before the gateway reads a byte of it', async () => {
    const { hostname, port } = new URL(system.gatewayUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      let text = '';
      const timer = setTimeout(() => reject(new Error(`no answer without the body: ${JSON.stringify(text)}`)), 5_000);
      socket.on('data', (d) => {
        text += d.toString('latin1');
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
      socket.on('error', reject);
      socket.write(`POST /v1/chat HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${16 * 1024 * 1024}\r\n\r\n`);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(answer).toContain('"code":"unauthorized"');
    await expectAllUp();
  });
});
