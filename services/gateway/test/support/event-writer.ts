import type { NatsConnection } from '@nats-io/transport-node';
import { conversationEventsSubject, type ConversationEvent, type UiChunk } from '@harness/contracts';
import type { EventStore } from '@harness/event-store';

/**
 * Plays the chat service's part for one conversation's stream: numbers events, publishes them live on NATS and appends
 * them to the event store when the test says so (the real writer publishes first and appends in batches).
 */
export class EventWriter {
  private lastSeq = 0;
  private stored = 0;

  constructor(
    private readonly nats: NatsConnection,
    private readonly store: EventStore,
    readonly conversationId: string,
  ) {}

  /** The next event (prev = the last one numbered, unless `prev` says otherwise, e.g. after a takeover). */
  next(chunk: UiChunk, runId: string | null = null, opts: { seq?: number; prev?: number } = {}): ConversationEvent {
    const seq = opts.seq ?? this.lastSeq + 1;
    const ev: ConversationEvent = {
      conversationId: this.conversationId,
      seq,
      prev: opts.prev ?? this.lastSeq,
      runId,
      chunk,
      createdAt: new Date().toISOString(),
    };
    this.lastSeq = seq;
    return ev;
  }

  publish(...events: ConversationEvent[]): void {
    for (const ev of events) this.nats.publish(conversationEventsSubject(this.conversationId), JSON.stringify(ev));
  }

  /** Appends events whose first `prev` is the stored version (as the event store requires). */
  async append(...events: ConversationEvent[]): Promise<void> {
    if (!events.length) return;
    if (events[0].prev !== this.stored) throw new Error(`append after ${this.stored}, but the first event follows ${events[0].prev}`);
    await this.store.append(
      this.conversationId,
      this.stored,
      events.map((e) => ({ seq: e.seq, chunk: e.chunk, runId: e.runId, createdAt: new Date(e.createdAt) })),
    );
    this.stored = events[events.length - 1].seq;
  }

  /** Publishes and appends at once. */
  async emit(...events: ConversationEvent[]): Promise<void> {
    this.publish(...events);
    await this.append(...events);
  }

  /** A run of text: n deltas between text-start/-end. */
  delta(runId: string, text: string): ConversationEvent {
    return this.next({ type: 'text-delta', id: 't1', delta: text }, runId);
  }

  get version(): number {
    return this.stored;
  }
}

export const textRun = (w: EventWriter, runId: string, words: string[]): ConversationEvent[] => [
  w.next({ type: 'start', messageId: `asst-${runId}`, messageMetadata: { runId, model: 'test-model' } }, runId),
  w.next({ type: 'start-step' }, runId),
  w.next({ type: 'text-start', id: 't1' }, runId),
  ...words.map((word) => w.delta(runId, word)),
  w.next({ type: 'text-end', id: 't1' }, runId),
  w.next({ type: 'finish-step' }, runId),
  w.next({ type: 'finish', finishReason: 'stop' }, runId),
];
