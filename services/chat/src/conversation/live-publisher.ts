import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Publishes live events for every conversation of this replica, coalesced per event-loop turn: deltas of many streams
 * that arrive in one turn leave in one socket write instead of one each (on loopback TCP each write costs the whole
 * stack traversal). Order is kept: messages go out in the order they were handed over, right after the turn's I/O.
 */
export class LivePublisher {
  private queue: { subject: string; payload: string }[] = [];
  private scheduled = false;

  constructor(private readonly nats: NatsConnection) {}

  publish(subject: string, payload: string): void {
    this.queue.push({ subject, payload });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Publishes everything queued now (also called before shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) this.nats.publish(m.subject, m.payload);
  }
}
