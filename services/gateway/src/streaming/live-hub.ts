import { Inject, Injectable } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { conversationEventsSubject, parseLiveMessage, type LiveMessage } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { LOGGER, NATS } from '../core/tokens.js';

/** Gets each live message: an event, or the reference to one too large to publish (the feed reads it from the store). */
export type LiveListener = (ev: LiveMessage) => void;

interface Topic {
  sub: Subscription;
  listeners: Set<LiveListener>;
  ready: Promise<void>;
}

/**
 * The live path: one NATS connection for the gateway, and per conversation one subscription to its event subject,
 * shared by every SSE client of that conversation (ref-counted: unsubscribed when the last one leaves). Each message is
 * parsed and validated once, then handed to every listener synchronously.
 */
@Injectable()
export class LiveHub {
  private readonly topics = new Map<string, Topic>();

  constructor(
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Resolves once the subscription is registered with the server; returns the unsubscribe function. */
  async subscribe(conversationId: string, listener: LiveListener): Promise<() => void> {
    let topic = this.topics.get(conversationId);
    if (!topic) {
      const listeners = new Set<LiveListener>();
      const sub = this.nats.subscribe(conversationEventsSubject(conversationId), {
        callback: (err, msg) => this.dispatch(conversationId, listeners, err, msg),
      });
      topic = { sub, listeners, ready: this.nats.flush() };
      this.topics.set(conversationId, topic);
    }
    const t = topic;
    t.listeners.add(listener);
    let subscribed = true;
    const unsubscribe = () => {
      if (!subscribed) return;
      subscribed = false;
      t.listeners.delete(listener);
      if (t.listeners.size === 0 && this.topics.get(conversationId) === t) {
        this.topics.delete(conversationId);
        t.sub.unsubscribe();
      }
    };
    try {
      await t.ready;
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  /** Conversations with a live subscription (for tests and diagnostics). */
  get subscriptions(): number {
    return this.topics.size;
  }

  private dispatch(conversationId: string, listeners: Set<LiveListener>, err: Error | null, msg: Msg): void {
    if (err) {
      this.logger.warn({ conversationId, ...errorFields(err) }, 'live subscription error');
      return;
    }
    let data: unknown;
    try {
      data = msg.json();
    } catch {
      this.logger.warn({ conversationId }, 'dropped a live event that is not JSON');
      return;
    }
    const parsed = parseLiveMessage(data);
    if (!parsed.success || parsed.data.conversationId !== conversationId) {
      const issues = parsed.success ? [{ path: 'conversationId', message: 'another conversation' }] : parsed.error.issues.slice(0, 5);
      this.logger.warn({ conversationId, issues }, 'dropped an invalid live event');
      return;
    }
    for (const listener of [...listeners]) {
      try {
        listener(parsed.data);
      } catch (e) {
        this.logger.error({ conversationId, ...errorFields(e) }, 'live listener failed');
      }
    }
  }
}
