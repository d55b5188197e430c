import { conversationEventsSubject, referenceTo, type ConversationEvent } from '@harness/contracts';
import { EventStore, StreamConflictError, StreamNotFoundError, type NewEvent, type Tx } from '@harness/event-store';
import type { Logger } from '@harness/logging';
import { projectConversationEvents, type DraftCache } from '@harness/projections';
import type { Emitted } from './conversation-state.js';
import type { LivePublisher } from './live-publisher.js';

/** pg's error for a query on a pool that was closed (the service is stopping): retrying cannot help. */
const POOL_ENDED = /pool after calling end/i;

/** While text streams, the message row is rewritten at most this often (see projectConversationEvents). */
const DELTA_WRITE_INTERVAL_MS = 250;

interface OutboxEntry {
  ev: ConversationEvent;
  ready: boolean;
  /** The event's JSON, when it fits one live message. */
  payload?: string;
  /** Too large to publish: its reference goes out once the event is stored. */
  afterStore?: boolean;
}

export interface EventWriterDeps {
  store: EventStore;
  live: Pick<LivePublisher, 'publish' | 'fits'>;
  logger: Logger;
  conversationId: string;
  userId: string;
  fencingToken: bigint;
  drafts: DraftCache;
  flushIntervalMs: number;
  flushMaxEvents: number;
  maxUnflushedEvents: number;
  /** Called once when an append shows this replica no longer owns the stream. */
  onLost: (reason: string) => void;
  /** Every event, in seq order, as it is numbered (the actor folds its state with it). */
  onEvent: (e: ConversationEvent) => void;
}

/**
 * Numbers a conversation's events and writes them on two paths: live (published on NATS at once) and durable (appended
 * to Postgres in small batches with the inline projections). `commit` is for events that must be durable before anyone
 * hears of them (accepted messages, terminal events).
 */
export class EventWriter {
  private version: number;
  /** Seq of the last event numbered (not moved by a jump): the next event's `prev`. */
  private prevSeq: number;
  private persisted: number;
  /** First seq of each commit numbered but not yet appended: pending events numbered after it wait for it. */
  private readonly commitsWaiting: number[] = [];
  private pending: NewEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private lost = false;
  private readonly subject: string;
  /**
   * Numbered events not yet published, in seq order: live ones are ready at once, committed ones once stored. A live
   * event too large for one NATS message is published as a reference, so it waits until it is stored (`afterStore`).
   */
  private readonly outbox: OutboxEntry[] = [];

  constructor(private readonly d: EventWriterDeps, version: number) {
    this.version = version;
    this.prevSeq = version;
    this.persisted = version;
    this.subject = conversationEventsSubject(d.conversationId);
  }

  get lastSeq() { return this.version; }
  get isLost() { return this.lost; }

  /** Skips seqs so that nothing a dead owner may have published live but not stored is reused (takeover). */
  jump(by: number) {
    if (this.pending.length) throw new Error('cannot jump with pending events');
    this.version += by;
  }

  /** Live path: publish now, store in the next batch. Resolves at once unless too much is waiting for Postgres. */
  async publish(items: Emitted[]): Promise<void> {
    if (this.lost) return;
    let oversized = false;
    for (const it of items) {
      const ev = this.number(it);
      this.pending.push({ seq: ev.seq, chunk: ev.chunk, runId: ev.runId, createdAt: new Date(ev.createdAt) });
      const payload = JSON.stringify(ev);
      if (this.d.live.fits(payload)) {
        this.outbox.push({ ev, ready: true, payload });
      } else {
        this.outbox.push({ ev, ready: false, afterStore: true });
        oversized = true;
      }
    }
    this.drainOutbox();
    if (oversized || this.pending.length >= this.d.flushMaxEvents) this.scheduleFlush(0);
    else this.scheduleFlush(this.d.flushIntervalMs);
    if (this.version - this.persisted > this.d.maxUnflushedEvents) await this.flush();
  }

  /** Durable first: stores pending events and these (plus `extra` in the same transaction), then publishes these. */
  async commit(items: Emitted[], extra?: (tx: Tx, events: ConversationEvent[]) => Promise<void>): Promise<ConversationEvent[]> {
    if (this.lost) throw new StreamConflictError(this.d.conversationId, this.persisted);
    const events = items.map((it) => this.number(it));
    const entries = events.map((ev) => ({ ev, ready: false }));
    this.outbox.push(...entries);
    const batch: NewEvent[] = events.map((ev) => ({ seq: ev.seq, chunk: ev.chunk, runId: ev.runId, createdAt: new Date(ev.createdAt) }));
    if (batch.length) this.commitsWaiting.push(batch[0].seq);
    await this.enqueue(async () => {
      try {
        await this.appendPending();
        await this.append(batch, extra);
      } finally {
        if (batch.length) this.commitsWaiting.splice(this.commitsWaiting.indexOf(batch[0].seq), 1);
      }
    });
    if (this.lost) throw new StreamConflictError(this.d.conversationId, this.persisted);
    for (const e of entries) e.ready = true;
    this.drainOutbox();
    return events;
  }

  flush(): Promise<void> {
    return this.enqueue(() => this.appendPending());
  }

  close() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private number(it: Emitted): ConversationEvent {
    const ev: ConversationEvent = {
      conversationId: this.d.conversationId,
      seq: this.version + 1,
      prev: this.prevSeq,
      runId: it.runId,
      chunk: it.chunk,
      createdAt: new Date().toISOString(),
    };
    this.version = ev.seq;
    this.prevSeq = ev.seq;
    this.d.onEvent(ev);
    return ev;
  }

  /**
   * Publishes in seq order: a live event numbered after a commit in flight waits for that commit. An event too large
   * for one NATS message goes out as a reference (it is stored by then: readers fetch it from Postgres).
   */
  private drainOutbox() {
    while (this.outbox.length && this.outbox[0].ready) {
      const { ev, payload } = this.outbox.shift()!;
      const full = payload ?? JSON.stringify(ev);
      this.d.live.publish(this.subject, payload !== undefined || this.d.live.fits(full) ? full : JSON.stringify(referenceTo(ev)));
    }
  }

  /** Oversized live events wait for their append; once stored, their references may go out. */
  private releaseStored() {
    let released = false;
    for (const entry of this.outbox) {
      if (entry.afterStore && !entry.ready && entry.ev.seq <= this.persisted) {
        entry.ready = true;
        released = true;
      }
    }
    if (released) this.drainOutbox();
  }

  private scheduleFlush(delay: number) {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => undefined);
    }, delay);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async appendPending(): Promise<void> {
    if (!this.pending.length || this.lost) return;
    // Only events numbered before the oldest commit still waiting: the ones after it are stored after it.
    const barrier = this.commitsWaiting.length ? Math.min(...this.commitsWaiting) : Infinity;
    const count = this.pending.findIndex((e) => e.seq > barrier);
    const batch = count < 0 ? this.pending : this.pending.slice(0, count);
    if (!batch.length) return;
    this.pending = count < 0 ? [] : this.pending.slice(count);
    await this.append(batch, undefined, false);
  }

  /** Appends with retry on transient database errors; a conflict means the lease is gone. */
  private async append(batch: NewEvent[], extra?: (tx: Tx, events: ConversationEvent[]) => Promise<void>, synchronousCommit = true): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.lost) return;
      try {
        await this.d.store.append(this.d.conversationId, this.persisted, batch, {
          fencingToken: this.d.fencingToken,
          synchronousCommit,
          projection: async (tx, _sid, events) => {
            await projectConversationEvents(tx, this.d.userId, events, this.d.drafts, { deltaWriteIntervalMs: DELTA_WRITE_INTERVAL_MS });
            if (extra) await extra(tx, events);
          },
        });
        this.persisted = batch[batch.length - 1].seq;
        this.releaseStored();
        return;
      } catch (err) {
        // The transaction rolled back: drafts the projection advanced in memory are rebuilt from storage next time.
        for (const e of batch) if (e.runId) this.d.drafts.delete(e.runId);
        if (err instanceof StreamConflictError || err instanceof StreamNotFoundError) {
          this.markLost(err.message);
          return;
        }
        // Data and constraint errors (SQLSTATE classes 22, 23) will fail again, as does a pool closed by shutdown:
        // stop at once instead of retrying.
        const sqlState = (err as { code?: string }).code ?? '';
        if (attempt >= 50 || /^2[23]/.test(sqlState) || POOL_ENDED.test((err as Error).message)) {
          this.markLost(`could not store events: ${(err as Error).message}`);
          return;
        }
        this.d.logger.warn({ conversationId: this.d.conversationId, attempt, err: (err as Error).message }, 'event append failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2_000, 50 * 2 ** attempt)));
      }
    }
  }

  private markLost(reason: string) {
    if (this.lost) return;
    this.lost = true;
    this.pending = [];
    this.outbox.length = 0;
    this.close();
    this.d.onLost(reason);
  }
}
