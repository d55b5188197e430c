import type { ConversationEvent } from '@harness/contracts';
import type { HttpResponse } from '../http/types.js';
import { frameEvent, HEARTBEAT_FRAME, SSE_HEADERS } from './sse-framing.js';

export interface SseLimits {
  heartbeatMs: number;
  /** Bytes queued for this client (in the response and its socket) before it is cut off. */
  maxBufferedBytes: number;
}

export interface SseHooks {
  onEventSent?: () => void;
  onCutSlow?: (bufferedBytes: number) => void;
}

/**
 * One SSE response. Writes never wait: a client that does not read lets its buffer grow, and past
 * `maxBufferedBytes` the connection is destroyed (it can resume with Last-Event-ID), so one slow client never holds
 * memory without bound nor delays anyone else.
 */
export class SseConnection {
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly res: HttpResponse,
    private readonly limits: SseLimits,
    private readonly hooks: SseHooks = {},
  ) {
    res.on('close', () => this.markClosed());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends the headers at once (the client sees the stream open before any event) and starts the heartbeat. */
  start(headers: Record<string, string> = {}): void {
    if (this.closed) return;
    this.res.writeHead(200, { ...SSE_HEADERS, ...headers });
    this.res.flushHeaders();
    this.heartbeat = setInterval(() => this.write(HEARTBEAT_FRAME), this.limits.heartbeatMs);
  }

  send(ev: ConversationEvent): boolean {
    const ok = this.write(frameEvent(ev));
    if (ok) this.hooks.onEventSent?.();
    return ok;
  }

  write(frame: string): boolean {
    if (this.closed) return false;
    this.res.write(frame);
    const buffered = this.res.writableLength;
    if (buffered > this.limits.maxBufferedBytes) {
      this.hooks.onCutSlow?.(buffered);
      this.res.destroy();
      this.markClosed();
      return false;
    }
    return true;
  }

  /**
   * Resolves once the client has taken most of what is queued for it (or the connection is gone): a catch-up reads the
   * store no faster than the client reads the stream.
   */
  whenWritable(): Promise<void> {
    if (this.closed || this.res.writableLength <= this.limits.maxBufferedBytes / 2) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        resolve();
      };
      this.res.once('drain', done);
      this.onClose(done);
    });
  }

  /** Ends the stream normally, optionally with a last frame. */
  end(lastFrame?: string): void {
    if (this.closed) return;
    if (lastFrame) this.res.write(lastFrame);
    this.res.end();
    this.markClosed();
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const l of this.closeListeners.splice(0)) l();
  }
}
