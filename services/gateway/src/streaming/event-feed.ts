import type { ConversationEvent, LiveMessage } from '@harness/contracts';
import type { EventStore } from '@harness/event-store';
import type { Logger } from '@harness/logging';
import { CatchUpMerger } from './catch-up-merger.js';
import type { LiveHub } from './live-hub.js';

export interface FeedTuning {
  /** Most events per store read. */
  pageSize: number;
  /**
   * About how many bytes of events one store read should bring: the page size adapts to the events' size (the first
   * read is small), so a catch-up never queues much more than this for the client at once.
   */
  pageBytes: number;
  /** Live events held while catching up before the catch-up restarts from the store. */
  maxBuffered: number;
  /** How long a gap may wait for the writer's flush before its events are declared lost. */
  gapDeadlineMs: number;
  /** How often the store is re-read while waiting for a gap to be flushed. */
  gapPollMs: number;
  /**
   * Extra reads after the handover (ms after the start). Events published just before the subscription and not yet
   * flushed reveal themselves as a gap only when a later live event comes; these reads deliver them when none does
   * (e.g. the run has just ended).
   */
  tailReadsMs: readonly number[];
}

export const DEFAULT_FEED_TUNING: FeedTuning = { pageSize: 500, pageBytes: 1024 * 1024, maxBuffered: 10_000, gapDeadlineMs: 3_000, gapPollMs: 15, tailReadsMs: [25, 100, 400, 1_500, 3_500] };

const FIRST_PAGE_SIZE = 32;

/** The next page size: as many events as fit the byte budget at the size of the last page's events. */
export function nextPageSize(page: readonly ConversationEvent[], tuning: Pick<FeedTuning, 'pageSize' | 'pageBytes'>): number {
  const bytes = page.reduce((n, e) => n + JSON.stringify(e.chunk).length + 16, 0);
  return Math.max(1, Math.min(tuning.pageSize, Math.floor((page.length * tuning.pageBytes) / Math.max(bytes, 1))));
}

export interface FeedDeps {
  hub: Pick<LiveHub, 'subscribe'>;
  store: Pick<EventStore, 'read'>;
  logger: Logger;
  tuning?: Partial<FeedTuning>;
  onEventsLost?: (count: number) => void;
  /** Awaited before each further page of a catch-up: flow control towards the client. */
  beforeNextPage?: () => Promise<void>;
}

/**
 * The ordered event feed of one reader: every event after `after`, then live, with no gap and no duplicate.
 * It subscribes live first (buffering), then reads the store, then hands over (CatchUpMerger); it re-reads the store to
 * fill gaps until their deadline. `sink` gets each event once, in order; `onFailure` gets a store error (the feed is
 * closed then).
 */
export class EventFeed {
  private readonly merger: CatchUpMerger;
  private readonly tuning: FeedTuning;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private running = false;
  private reading = false;
  private tailReadDue = false;
  private gapWait: { since: number; lastSent: number } | undefined;
  private pageSize: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: FeedDeps,
    readonly conversationId: string,
    after: number,
    private readonly sink: (ev: ConversationEvent) => void,
    private readonly onFailure: (err: unknown) => void,
  ) {
    this.tuning = { ...DEFAULT_FEED_TUNING, ...deps.tuning };
    this.merger = new CatchUpMerger(after, this.tuning.maxBuffered);
    this.pageSize = Math.min(FIRST_PAGE_SIZE, this.tuning.pageSize);
  }

  get lastSent(): number {
    return this.merger.lastSent;
  }

  /** Step 1: subscribe live (events are buffered from now on). Resolves once the broker has the subscription. */
  async subscribe(): Promise<void> {
    const unsubscribe = await this.deps.hub.subscribe(this.conversationId, (ev) => this.onLive(ev));
    if (this.closed) return unsubscribe();
    this.unsubscribe = unsubscribe;
  }

  /**
   * Step 2: catch up from the store, hand over to the live events, keep going until closed. With `liveFrom`, the reader
   * subscribed before the events after that seq were published (see CatchUpMerger.startLive): no catch-up read.
   */
  run(opts: { from?: number; liveFrom?: number } = {}): void {
    if (this.closed || this.running) return;
    this.running = true;
    if (opts.liveFrom !== undefined) {
      this.deliver(this.merger.startLive(opts.liveFrom));
      this.pump();
      return;
    }
    if (opts.from !== undefined) this.merger.catchUpFrom(opts.from);
    this.pump();
    for (const ms of this.tuning.tailReadsMs) {
      this.after(ms, () => {
        this.tailReadDue = true;
        this.pump();
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private onLive(ev: LiveMessage): void {
    if (this.closed) return;
    // Before run(), the merger is catching up: it only buffers (nothing reaches the sink), and nothing is read yet.
    const before = this.merger.overflows;
    this.deliver(this.merger.onLive(ev));
    if (this.merger.overflows !== before) {
      this.deps.logger.warn({ conversationId: this.conversationId, lastSent: this.merger.lastSent }, 'live buffer overflowed: catching up from the store again');
    }
    if (this.merger.needsRead) this.pump();
  }

  private deliver(events: ConversationEvent[]): void {
    for (const ev of events) {
      if (this.closed) return;
      this.sink(ev);
    }
  }

  /** Runs the read loop unless it is running already (one reader at a time keeps the merger's inputs ordered). */
  private pump(): void {
    if (!this.running || this.reading || this.closed || !(this.merger.needsRead || this.tailReadDue)) return;
    this.reading = true;
    this.readLoop()
      .catch((err) => {
        if (this.closed) return;
        this.close();
        this.onFailure(err);
      })
      .finally(() => {
        this.reading = false;
        this.pump();
      });
  }

  private async readLoop(): Promise<void> {
    const { gapDeadlineMs, gapPollMs } = this.tuning;
    while (!this.closed && (this.merger.needsRead || this.tailReadDue)) {
      this.tailReadDue = false;
      const limit = this.pageSize;
      const page = await this.deps.store.read(this.conversationId, { after: this.merger.lastSent, limit });
      if (this.closed) return;
      const full = page.length >= limit;
      this.deliver(this.merger.onStored(page, !full));
      if (full) {
        this.tailReadDue ||= !this.merger.needsRead;
        this.pageSize = nextPageSize(page, this.tuning);
        await this.deps.beforeNextPage?.();
        continue;
      }
      const gap = this.merger.gap;
      if (!gap) {
        this.gapWait = undefined;
        continue;
      }
      // The store does not have the missing events yet: wait for the writer's flush, up to the deadline (which restarts
      // whenever the store makes progress).
      const now = Date.now();
      if (!this.gapWait || this.gapWait.lastSent !== this.merger.lastSent) this.gapWait = { since: now, lastSent: this.merger.lastSent };
      if (now - this.gapWait.since >= gapDeadlineMs) {
        const { send, skipped } = this.merger.skipGap();
        this.gapWait = undefined;
        if (skipped) {
          this.deps.logger.warn({ conversationId: this.conversationId, missingFrom: skipped.from, missingTo: skipped.to }, 'events never reached the store: continuing after the gap');
          this.deps.onEventsLost?.(skipped.to - skipped.from + 1);
        }
        this.deliver(send);
        continue;
      }
      await new Promise<void>((resolve) => this.after(gapPollMs, resolve));
    }
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
