import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SESSIONS_CONTEXT } from '../tokens.js';
import type { SessionsContext } from './context.js';
import { deleteExpiredSessions } from './store.js';

const SWEEP_EVERY_MS = 10 * 60_000;

/** Deletes sessions past their absolute or idle expiry (verification already refuses them; this bounds the table). */
@Injectable()
export class SessionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  constructor(@Inject(SESSIONS_CONTEXT) private readonly ctx: SessionsContext) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns how many sessions it deleted (0 when the sweep failed: it is logged and retried at the next tick). */
  async sweep(): Promise<number> {
    try {
      const n = await deleteExpiredSessions(this.ctx.pool, this.ctx.now());
      if (n) this.ctx.logger.debug({ deleted: n }, 'expired sessions deleted');
      return n;
    } catch (err) {
      this.ctx.logger.warn({ reason: (err as Error).message }, 'session sweep failed');
      return 0;
    }
  }
}
