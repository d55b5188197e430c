import { isEventReference, type ConversationEvent, type LiveMessage } from '@harness/contracts';

/**
 * The catch-up handover of one reader, as a pure state machine (no I/O, no clock): it is fed live events (from NATS,
 * subscribed before anything is read) and pages read from the event store, and says which events to send, in order,
 * each exactly once. The driver (EventFeed) does the reading, the waiting and the deadline.
 *
 * - `catchup`: live events are buffered while the store is read after `lastSent`, page by page; when a page reaches the
 *   end of the stream, the buffer is drained in seq order.
 * - `live`: a live event is sent at once when it follows what was sent (`prev <= lastSent`: the next event, or a jump
 *   over seqs that never existed, e.g. after another replica took a run over). An event with `seq <= lastSent` is a
 *   duplicate and dropped.
 * - `gap`: a live event has `prev > lastSent`: events published before we subscribed are not in the store yet (the
 *   writer appends in batches). It waits in the buffer while the driver re-reads the store; stored events fill the
 *   gap. If the store never gets them (the writer died), the driver calls `skipGap()` after its deadline.
 *
 * - A live *reference* (an event too large for one NATS message, published once stored) is a hole only the store can
 *   fill: it waits in the buffer like a gap ending at its own seq, and the driver reads the event from the store.
 *
 * The buffer is bounded: past `maxBuffered` it is dropped and the reader goes back to `catchup` (everything dropped
 * is, or will be, in the store, and anything missing later shows up as a gap).
 */
export type MergerPhase = 'catchup' | 'live' | 'gap';

export interface SkippedRange {
  /** First and last seq that could not be delivered (some may never have existed). */
  from: number;
  to: number;
}

export class CatchUpMerger {
  private sent: number;
  private current: MergerPhase = 'catchup';
  private readonly buffer = new Map<number, LiveMessage>();
  private waitingFor: number | null = null;
  private overflowCount = 0;

  constructor(
    after: number,
    private readonly maxBuffered = 10_000,
  ) {
    this.sent = after;
  }

  /** Seq of the last event sent (or the reader's starting position). */
  get lastSent(): number {
    return this.sent;
  }

  get phase(): MergerPhase {
    return this.current;
  }

  /** True while the driver must read the store (catching up, or filling a gap). */
  get needsRead(): boolean {
    return this.current !== 'live';
  }

  /** While in a gap: the seqs (after, until] are missing before the next buffered event can go. */
  get gap(): { after: number; until: number } | null {
    return this.current === 'gap' && this.waitingFor !== null ? { after: this.sent, until: this.waitingFor } : null;
  }

  get buffered(): number {
    return this.buffer.size;
  }

  /** How many times the buffer overflowed and the reader restarted its catch-up. */
  get overflows(): number {
    return this.overflowCount;
  }

  /** Sets the reader's position before the first store read (buffered events at or before it are dropped). */
  catchUpFrom(after: number): void {
    this.sent = after;
    for (const seq of [...this.buffer.keys()]) if (seq <= after) this.buffer.delete(seq);
  }

  /**
   * For a reader that subscribed before the events it wants could be published (it sent the command that produces
   * them, after subscribing): the buffer already holds every one of them, so it goes live at `after` without reading
   * the store. An event still missing (a dropped NATS message) shows up as a gap, filled from the store as usual.
   */
  startLive(after: number): ConversationEvent[] {
    this.sent = after;
    this.current = 'live';
    this.waitingFor = null;
    return this.drain();
  }

  onLive(ev: LiveMessage): ConversationEvent[] {
    if (ev.seq <= this.sent) return [];
    if (this.current === 'live') {
      if (ev.prev <= this.sent && !isEventReference(ev)) return [this.take(ev)];
      this.current = 'gap';
      this.waitingFor = missingUntil(ev, this.sent);
      this.buffer.set(ev.seq, ev);
      return [];
    }
    this.buffer.set(ev.seq, ev);
    if (this.buffer.size > this.maxBuffered) {
      this.buffer.clear();
      this.current = 'catchup';
      this.waitingFor = null;
      this.overflowCount += 1;
    }
    return [];
  }

  /**
   * A page read from the store after some position (oldest first). `reachedEnd` when the page was not full, i.e. the
   * store had nothing more at the time of the read. Stored events are authoritative: each one after `lastSent` is sent.
   */
  onStored(page: readonly ConversationEvent[], reachedEnd: boolean): ConversationEvent[] {
    const out: ConversationEvent[] = [];
    for (const ev of page) if (ev.seq > this.sent) out.push(this.take(ev));
    if (this.current === 'live' || (this.current === 'catchup' && !reachedEnd)) return out;
    out.push(...this.drain());
    return out;
  }

  /** The gap's deadline passed: those events are lost. Send the waiting event anyway, and carry on. */
  skipGap(): { send: ConversationEvent[]; skipped: SkippedRange | null } {
    if (this.current !== 'gap') return { send: [], skipped: null };
    const head = this.ordered()[0];
    if (!head) {
      this.current = 'live';
      this.waitingFor = null;
      return { send: [], skipped: null };
    }
    this.buffer.delete(head.seq);
    if (isEventReference(head)) {
      // The referenced event itself never showed up in the store: it is lost with the gap before it.
      const skipped = { from: this.sent + 1, to: head.seq };
      this.sent = head.seq;
      return { send: this.drain(), skipped };
    }
    const skipped = { from: this.sent + 1, to: head.prev };
    const send = [this.take(head), ...this.drain()];
    return { send, skipped };
  }

  private take(ev: ConversationEvent): ConversationEvent {
    this.sent = ev.seq;
    return ev;
  }

  private ordered(): LiveMessage[] {
    return [...this.buffer.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Sends buffered events in seq order up to the first gap (→ `gap`), or all of them (→ `live`). */
  private drain(): ConversationEvent[] {
    const out: ConversationEvent[] = [];
    for (const ev of this.ordered()) {
      if (ev.seq <= this.sent) {
        this.buffer.delete(ev.seq);
        continue;
      }
      if (ev.prev > this.sent || isEventReference(ev)) {
        this.current = 'gap';
        this.waitingFor = missingUntil(ev, this.sent);
        return out;
      }
      this.buffer.delete(ev.seq);
      out.push(this.take(ev));
    }
    this.current = 'live';
    this.waitingFor = null;
    return out;
  }
}

/** The last seq that must come from the store before `ev` can go: its predecessor, or itself for a reference. */
const missingUntil = (ev: LiveMessage, sent: number): number => (isEventReference(ev) ? ev.seq : Math.max(ev.prev, sent));
