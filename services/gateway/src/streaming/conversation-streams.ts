import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Config } from '@harness/config';
import { DomainError, type ConversationEvent } from '@harness/contracts';
import { EventStore } from '@harness/event-store';
import { currentCorrelationId, errorFields, type Logger } from '@harness/logging';
import { GatewayMetrics } from '../core/metrics.js';
import { CONFIG, GATEWAY_OPTIONS, LOGGER, type GatewayOptions } from '../core/tokens.js';
import type { HttpResponse } from '../http/types.js';
import { EventFeed } from './event-feed.js';
import { LiveHub } from './live-hub.js';
import type { RunFollower } from './run-follower.js';
import { AI_SDK_STREAM_HEADER, DONE_FRAME } from './sse-framing.js';
import { SseConnection } from './sse-connection.js';

/** How long a queued item that vanished from the queue may still turn into a message before its stream ends. */
const VANISHED_ITEM_GRACE_MS = 1_000;

export interface StreamRequest {
  conversationId: string;
  /** Send every event with seq > after, then live. */
  after: number;
  /** Only the events of one message's run; the stream ends after its terminal chunk. */
  follow?: RunFollower;
  /** An AI SDK UI message stream: its header, and `data: [DONE]` at the end. */
  aiSdk?: boolean;
  headers?: Record<string, string>;
  /**
   * streamCommand only: false when the command did not produce new events (e.g. an idempotent replay), so its events
   * must be read back from the store instead of arriving live.
   */
  live?: boolean;
}

/** Opens SSE responses over event feeds; tracks them so shutdown can close them. */
@Injectable()
export class ConversationStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<SseConnection>();

  constructor(
    private readonly hub: LiveHub,
    private readonly store: EventStore,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /** Where a run's stream begins: just before its `start` (or, if that is not stored yet, the stream's current end). */
  async positionOfRun(conversationId: string, runId: string): Promise<number> {
    const start = await this.store.runStartSeq(conversationId, runId);
    return start !== null ? start - 1 : this.store.version(conversationId);
  }

  /**
   * Streams until the client leaves, the followed run ends, or the gateway shuts down; resolves when closed.
   * The live subscription exists before the response headers go out: an event published after the client saw the
   * stream open is never missed. No live events (NATS down) → 503 before anything is sent.
   */
  stream(res: HttpResponse, req: StreamRequest): Promise<void> {
    return this.openStream(res, req.conversationId, req.aiSdk ?? false, async () => req, false);
  }

  /**
   * The stream of what a command starts: subscribes to the conversation's live events, THEN runs `command` (which sends
   * it and says where its events begin), then streams from there straight off the live subscription (every event after
   * that position was published after we subscribed; none needs reading back from the store). If `command` throws,
   * nothing has been sent yet and the error becomes the response.
   */
  streamCommand(
    res: HttpResponse,
    conversationId: string,
    aiSdk: boolean,
    command: () => Promise<Omit<StreamRequest, 'conversationId' | 'aiSdk'>>,
  ): Promise<void> {
    return this.openStream(res, conversationId, aiSdk, command, true);
  }

  private async openStream(
    res: HttpResponse,
    conversationId: string,
    aiSdk: boolean,
    position: () => Promise<Omit<StreamRequest, 'conversationId' | 'aiSdk'>>,
    subscribedFirst: boolean,
  ): Promise<void> {
    const req: StreamRequest = { conversationId, aiSdk, after: 0 };
    const logger = this.logger.child({ correlationId: currentCorrelationId(), conversationId: req.conversationId });
    const conn = new SseConnection(
      res,
      { heartbeatMs: this.config.gateway.sseHeartbeatMs, maxBufferedBytes: this.config.gateway.sseMaxBufferedBytes },
      {
        onEventSent: () => this.metrics.sseEventsSent.inc(),
        onCutSlow: (bufferedBytes) => {
          this.metrics.sseCutSlow.inc();
          logger.warn({ bufferedBytes, lastSent: feed.lastSent }, 'SSE client too slow: connection closed');
        },
      },
    );
    let follow: RunFollower | undefined = undefined; // known once the command has answered
    let vanishTimer: NodeJS.Timeout | undefined;
    const finish = () => conn.end(req.aiSdk ? DONE_FRAME : undefined);

    const sink = (ev: ConversationEvent) => {
      if (!follow) {
        conn.send(ev);
        return;
      }
      const decision = follow.onEvent(ev);
      if (decision.emit && !conn.send(ev)) return;
      if (decision.done) return finish();
      if (follow.itemVanished && !vanishTimer) {
        const vanished = follow;
        vanishTimer = setTimeout(() => {
          vanished.giveUp();
          finish();
        }, VANISHED_ITEM_GRACE_MS);
      } else if (!follow.itemVanished && vanishTimer) {
        clearTimeout(vanishTimer);
        vanishTimer = undefined;
      }
    };
    const feed = new EventFeed(
      {
        hub: this.hub,
        store: this.store,
        logger,
        tuning: { pageBytes: Math.max(1, Math.floor(this.config.gateway.sseMaxBufferedBytes / 4)), ...this.options.feedTuning },
        onEventsLost: (n) => this.metrics.sseGapsLost.inc(n),
        beforeNextPage: () => conn.whenWritable(),
      },
      req.conversationId,
      0,
      sink,
      (err) => {
        logger.error(errorFields(err), 'event feed failed: closing the stream');
        conn.end();
      },
    );

    try {
      await feed.subscribe();
    } catch (err) {
      feed.close();
      logger.error(errorFields(err), 'could not subscribe to live events');
      throw new DomainError('service_unavailable', 'live events are unavailable; try again');
    }
    if (!conn.isOpen) return feed.close();
    try {
      Object.assign(req, await position());
    } catch (err) {
      feed.close();
      throw err;
    }
    follow = req.follow;
    if (!conn.isOpen) return feed.close();

    await new Promise<void>((resolve) => {
      conn.onClose(() => {
        feed.close();
        clearTimeout(vanishTimer);
        if (this.open.delete(conn)) this.metrics.sseOpen.dec();
        logger.debug({ lastSent: feed.lastSent }, 'SSE stream closed');
        resolve();
      });
      conn.start({ ...req.headers, ...(req.aiSdk ? AI_SDK_STREAM_HEADER : {}) });
      this.open.add(conn);
      this.metrics.sseOpen.inc();
      logger.debug({ after: req.after, follow: follow?.followedRunId ?? (follow ? 'queued' : undefined) }, 'SSE stream opened');
      feed.run(subscribedFirst && req.live !== false ? { liveFrom: req.after } : { from: req.after });
    });
  }

  /** Shutdown: end every stream cleanly (clients resume elsewhere with Last-Event-ID). */
  beforeApplicationShutdown(signal?: string): void {
    this.logger.info({ signal, streams: this.open.size }, 'shutting down: ending SSE streams');
    for (const conn of [...this.open]) conn.end();
  }
}
