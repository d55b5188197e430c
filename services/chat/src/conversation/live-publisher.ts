import type { NatsConnection } from '@nats-io/transport-node';
import { errorFields, type Logger } from '@harness/logging';

/** Room left under the server's `max_payload` for the protocol line and headers. */
const PAYLOAD_HEADROOM_BYTES = 4 * 1024;
/** NATS servers announce their limit; this is the server default, used until they do. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Publishes live events for every conversation of this replica, coalesced per event-loop turn: deltas of many streams
 * that arrive in one turn leave in one socket write instead of one each (on loopback TCP each write costs the whole
 * stack traversal). Order is kept: messages go out in the order they were handed over, right after the turn's I/O.
 *
 * A publish never throws into the caller nor into the event loop: a payload over the limit is refused up front
 * (`fits`; the writer sends a reference instead), and a publish the client refuses (closed connection) is logged and
 * counted — the event is in Postgres or on its way there, where readers find it.
 */
export class LivePublisher {
  private queue: { subject: string; payload: string }[] = [];
  private scheduled = false;
  private failures = 0;

  constructor(
    private readonly nats: NatsConnection,
    private readonly logger?: Logger,
    private readonly maxPayloadOverride?: number,
  ) {}

  /** Largest payload one live message may carry on this connection (the server's `max_payload`, less headroom). */
  get maxPayloadBytes(): number {
    const server = this.nats.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    return Math.min(this.maxPayloadOverride ?? Infinity, server - PAYLOAD_HEADROOM_BYTES);
  }

  fits(payload: string): boolean {
    // Cheap bound first: a UTF-8 string is at most 3 bytes per UTF-16 unit.
    return payload.length * 3 <= this.maxPayloadBytes || Buffer.byteLength(payload) <= this.maxPayloadBytes;
  }

  /** Publishes that failed since start (for tests and diagnostics). */
  get failedPublishes(): number {
    return this.failures;
  }

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
    for (const m of batch) {
      try {
        this.nats.publish(m.subject, m.payload);
      } catch (err) {
        this.failures += 1;
        this.logger?.warn({ subject: m.subject, bytes: m.payload.length, ...errorFields(err) }, 'live publish failed; readers get the event from the store');
      }
    }
  }
}
