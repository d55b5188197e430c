import { referenceTo, type ConversationEvent } from '@harness/contracts';
import { CatchUpMerger } from '../../src/streaming/catch-up-merger.js';

/** An event with `prev` = seq - 1 unless given (a takeover jump has prev < seq - 1). */
const ev = (seq: number, prev = seq - 1): ConversationEvent => ({
  conversationId: 'c',
  seq,
  prev,
  runId: 'r',
  chunk: { type: 'text-delta', id: 't', delta: String(seq) },
  createdAt: new Date(0).toISOString(),
});
const seqs = (events: ConversationEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ev(from + i));

describe('CatchUpMerger', () => {
  it('subscribed before the command: goes live at the position from the buffer, without reading the store', () => {
    const m = new CatchUpMerger(0);
    for (const e of range(3, 9)) expect(m.onLive(e)).toEqual([]);
    expect(seqs(m.startLive(5))).toEqual([6, 7, 8, 9]);
    expect(m.phase).toBe('live');
    expect(m.needsRead).toBe(false);
    expect(seqs(m.onLive(ev(10)))).toEqual([10]);
  });

  it('subscribed before the command, but a live event went missing: a gap the store fills', () => {
    const m = new CatchUpMerger(0);
    m.onLive(ev(6));
    m.onLive(ev(8));
    expect(seqs(m.startLive(5))).toEqual([6]);
    expect(m.gap).toEqual({ after: 6, until: 7 });
    expect(seqs(m.onStored([ev(7), ev(8)], true))).toEqual([7, 8]);
    expect(m.phase).toBe('live');
  });

  it('catchUpFrom drops buffered events at or before the position', () => {
    const m = new CatchUpMerger(0);
    m.onLive(ev(4));
    m.onLive(ev(5));
    m.catchUpFrom(4);
    expect(seqs(m.onStored([], true))).toEqual([5]);
  });

  it('given stored 1..5 and live 4..7 overlapping, sends 1..7 once each, in order', () => {
    const m = new CatchUpMerger(0);
    const out: number[] = [];
    for (const e of range(4, 7)) out.push(...seqs(m.onLive(e)));
    expect(out).toEqual([]);
    out.push(...seqs(m.onStored(range(1, 5), true)));
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(m.phase).toBe('live');
    out.push(...seqs(m.onLive(ev(7))), ...seqs(m.onLive(ev(6))), ...seqs(m.onLive(ev(8))));
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('starts after the position: nothing at or before it is sent', () => {
    const m = new CatchUpMerger(3);
    expect(seqs(m.onStored(range(1, 6), true))).toEqual([4, 5, 6]);
  });

  it('reads the store page by page before handing over to the live buffer', () => {
    const m = new CatchUpMerger(0);
    m.onLive(ev(5));
    expect(seqs(m.onStored(range(1, 2), false))).toEqual([1, 2]);
    expect(m.phase).toBe('catchup');
    expect(seqs(m.onStored(range(3, 4), true))).toEqual([3, 4, 5]);
    expect(m.phase).toBe('live');
  });

  it('given a gap (live 8 while the store ends at 5), waits; a later read fills it, then 8 goes', () => {
    const m = new CatchUpMerger(0);
    m.onLive(ev(8));
    expect(seqs(m.onStored(range(1, 5), true))).toEqual([1, 2, 3, 4, 5]);
    expect(m.phase).toBe('gap');
    expect(m.gap).toEqual({ after: 5, until: 7 });
    // More live events wait behind the gap.
    expect(m.onLive(ev(9))).toEqual([]);
    // The writer's batch lands: a re-read brings 6 (not yet 7): still a gap.
    expect(seqs(m.onStored([ev(6)], true))).toEqual([6]);
    expect(m.gap).toEqual({ after: 6, until: 7 });
    expect(seqs(m.onStored([ev(7), ev(8)], true))).toEqual([7, 8, 9]);
    expect(m.phase).toBe('live');
    expect(m.needsRead).toBe(false);
  });

  it('detects a gap in the live phase too', () => {
    const m = new CatchUpMerger(0);
    m.onStored([], true);
    expect(seqs(m.onLive(ev(1)))).toEqual([1]);
    expect(m.onLive(ev(4))).toEqual([]);
    expect(m.gap).toEqual({ after: 1, until: 3 });
    expect(seqs(m.onStored(range(2, 3), true))).toEqual([2, 3, 4]);
  });

  it('accepts a jump after a takeover (prev < seq - 1 but prev <= lastSent) without waiting', () => {
    // Events 5..7 were published by a replica that died before storing them; the new owner appends 10 after 4.
    const m = new CatchUpMerger(0);
    m.onStored(range(1, 4), true);
    expect(seqs(m.onLive(ev(5)))).toEqual([5]);
    expect(seqs(m.onLive(ev(6)))).toEqual([6]);
    expect(seqs(m.onLive(ev(10, 4)))).toEqual([10]);
    expect(seqs(m.onLive(ev(11)))).toEqual([11]);
    // A reader that never saw 5..6 takes the jump just the same.
    const fresh = new CatchUpMerger(4);
    fresh.onStored([], true);
    expect(seqs(fresh.onLive(ev(10, 4)))).toEqual([10]);
    // Late events of the dead owner are older than what was sent: dropped.
    expect(fresh.onLive(ev(7))).toEqual([]);
  });

  it('when the deadline passes, the lost events are reported and the stream continues from the waiting event', () => {
    const m = new CatchUpMerger(0);
    m.onLive(ev(8));
    m.onLive(ev(9));
    m.onStored(range(1, 5), true);
    expect(m.phase).toBe('gap');
    const { send, skipped } = m.skipGap();
    expect(skipped).toEqual({ from: 6, to: 7 });
    expect(seqs(send)).toEqual([8, 9]);
    expect(m.phase).toBe('live');
    // Should the lost events still show up later, they are not sent out of order.
    expect(m.onStored(range(6, 9), true)).toEqual([]);
    expect(seqs(m.onLive(ev(10)))).toEqual([10]);
  });

  it('bounds the buffer: past the limit it is dropped and the catch-up restarts from the store', () => {
    const m = new CatchUpMerger(0, 3);
    for (const e of range(1, 4)) m.onLive(e);
    expect(m.buffered).toBe(0);
    expect(m.overflows).toBe(1);
    expect(m.phase).toBe('catchup');
    m.onLive(ev(5));
    expect(seqs(m.onStored(range(1, 4), true))).toEqual([1, 2, 3, 4, 5]);
  });

  it('overflow while in a gap goes back to catching up from the store', () => {
    const m = new CatchUpMerger(0, 2);
    m.onStored([], true);
    m.onLive(ev(3));
    expect(m.phase).toBe('gap');
    m.onLive(ev(4));
    m.onLive(ev(5));
    expect(m.phase).toBe('catchup');
    expect(seqs(m.onStored(range(1, 5), true))).toEqual([1, 2, 3, 4, 5]);
    expect(m.phase).toBe('live');
  });

  it('never sends the same seq twice whatever the interleaving', () => {
    // A randomized interleaving of a store that lags the live path: every seq exactly once, in order.
    for (let trial = 0; trial < 200; trial++) {
      const total = 40;
      const subscribeAt = Math.floor(Math.random() * total);
      const m = new CatchUpMerger(0);
      const sent: number[] = [];
      let stored = Math.floor(Math.random() * subscribeAt);
      for (let seq = subscribeAt + 1; seq <= total; seq++) {
        sent.push(...seqs(m.onLive(ev(seq))));
        if (Math.random() < 0.3) {
          stored = Math.min(seq, stored + Math.floor(Math.random() * 10));
          sent.push(...seqs(m.onStored(range(m.lastSent + 1, stored), true)));
        }
      }
      sent.push(...seqs(m.onStored(range(m.lastSent + 1, total), true)));
      expect(sent).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
  });

  describe('references (events too large for one live message)', () => {
    const ref = (seq: number, prev = seq - 1) => referenceTo(ev(seq, prev));

    it('live: a reference is a hole the store fills; later live events wait behind it and then follow in order', () => {
      const m = new CatchUpMerger(0);
      expect(seqs(m.startLive(4))).toEqual([]);
      expect(seqs(m.onLive(ev(5)))).toEqual([5]);
      expect(m.onLive(ref(6))).toEqual([]);
      expect(m.gap).toEqual({ after: 5, until: 6 });
      expect(m.onLive(ev(7))).toEqual([]);
      // The store has the referenced event (it is published only once stored).
      const big = { ...ev(6), chunk: { type: 'text-delta' as const, id: 't', delta: 'x'.repeat(10) } };
      const out = m.onStored([big], true);
      expect(out.map((e) => e.seq)).toEqual([6, 7]);
      expect(out[0]).toBe(big);
      expect(m.phase).toBe('live');
    });

    it('catching up: a buffered reference already covered by the store read is dropped, never sent twice', () => {
      const m = new CatchUpMerger(0);
      m.onLive(ref(3));
      m.onLive(ev(4));
      expect(seqs(m.onStored(range(1, 3), true))).toEqual([1, 2, 3, 4]);
      expect(m.phase).toBe('live');
    });

    it('a reference whose event never reaches the store is skipped at the deadline (reported), not waited on forever', () => {
      const m = new CatchUpMerger(0);
      m.startLive(2);
      m.onLive(ref(3));
      m.onLive(ev(4));
      expect(m.onStored([], true)).toEqual([]);
      const { send, skipped } = m.skipGap();
      expect(skipped).toEqual({ from: 3, to: 3 });
      expect(seqs(send)).toEqual([4]);
      expect(m.phase).toBe('live');
    });

    it('a reference after a gap waits for the gap and itself', () => {
      const m = new CatchUpMerger(0);
      m.startLive(2);
      m.onLive(ref(5));
      expect(m.gap).toEqual({ after: 2, until: 5 });
      expect(seqs(m.onStored(range(3, 4), true))).toEqual([3, 4]);
      expect(m.gap).toEqual({ after: 4, until: 5 });
      expect(seqs(m.onStored([ev(5)], true))).toEqual([5]);
      expect(m.phase).toBe('live');
    });
  });
});
