import type { ConversationEvent } from '@harness/contracts';
import { createLogger } from '@harness/logging';
import { EventFeed } from '../../src/streaming/event-feed.js';

const ev = (seq: number, prev = seq - 1): ConversationEvent => ({
  conversationId: 'c',
  seq,
  prev,
  runId: null,
  chunk: { type: 'text-delta', id: 't', delta: String(seq) },
  createdAt: '',
});

/** In-memory stand-ins for the live hub and the event store (the real ones are exercised by the integration tests). */
function setup(stored: ConversationEvent[], tuning = {}) {
  let listener: ((e: ConversationEvent) => void) | undefined;
  const hub = {
    subscribe: async (_id: string, l: (e: ConversationEvent) => void) => {
      listener = l;
      return () => (listener = undefined);
    },
  };
  let reads = 0;
  const store = {
    read: async (_id: string, opts: { after?: number; limit?: number } = {}) => {
      reads++;
      return stored.filter((e) => e.seq > (opts.after ?? 0)).slice(0, opts.limit ?? 10_000);
    },
  };
  const sent: number[] = [];
  const failures: unknown[] = [];
  const lost: number[] = [];
  const feed = new EventFeed(
    { hub, store, logger: createLogger('test', 'silent'), tuning: { gapPollMs: 5, gapDeadlineMs: 200, tailReadsMs: [], ...tuning }, onEventsLost: (n) => lost.push(n) },
    'c',
    0,
    (e) => sent.push(e.seq),
    (err) => failures.push(err),
  );
  return { feed, sent, failures, lost, publish: (e: ConversationEvent) => listener?.(e), stored, reads: () => reads, live: () => listener !== undefined };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('EventFeed', () => {
  it('buffers live events from subscribe() on, and sends nothing until run()', async () => {
    const t = setup([ev(1), ev(2)]);
    await t.feed.subscribe();
    t.publish(ev(3));
    await Promise.resolve();
    expect(t.sent).toEqual([]);
    expect(t.reads()).toBe(0);
    t.feed.run();
    await until(() => t.sent.length === 3);
    expect(t.sent).toEqual([1, 2, 3]);
    t.feed.close();
    expect(t.live()).toBe(false);
  });

  it('fills a gap from the store once the writer has flushed it', async () => {
    const t = setup([ev(1)]);
    await t.feed.subscribe();
    t.feed.run();
    await until(() => t.sent.length === 1);
    const readsBefore = t.reads();
    t.publish(ev(4));
    await until(() => t.reads() >= readsBefore + 3); // it keeps polling the store while 2..3 are missing
    expect(t.sent).toEqual([1]);
    t.stored.push(ev(2), ev(3), ev(4));
    await until(() => t.sent.length === 4);
    expect(t.sent).toEqual([1, 2, 3, 4]);
    expect(t.lost).toEqual([]);
    t.feed.close();
  });

  it('skips a gap the store never fills after the deadline, and reports it', async () => {
    const t = setup([ev(1)]);
    await t.feed.subscribe();
    t.feed.run();
    await until(() => t.sent.length === 1);
    t.publish(ev(5));
    await until(() => t.sent.length === 2);
    expect(t.sent).toEqual([1, 5]);
    expect(t.lost).toEqual([3]);
    t.feed.close();
  });

  it('reads long histories page by page', async () => {
    const t = setup(Array.from({ length: 1000 }, (_, i) => ev(i + 1)), { pageSize: 100 });
    await t.feed.subscribe();
    t.feed.run();
    await until(() => t.sent.length === 1000);
    expect(t.sent).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(t.reads()).toBeGreaterThanOrEqual(10);
    t.feed.close();
  });

  it('reports a store failure once and stops', async () => {
    const t = setup([]);
    (t as unknown as { feed: EventFeed }).feed = new EventFeed(
      { hub: { subscribe: async () => () => undefined }, store: { read: async () => Promise.reject(new Error('db down')) }, logger: createLogger('test', 'silent') },
      'c',
      0,
      () => undefined,
      (err) => t.failures.push(err),
    );
    await t.feed.subscribe();
    t.feed.run();
    await until(() => t.failures.length === 1);
    expect((t.failures[0] as Error).message).toBe('db down');
  });
});
