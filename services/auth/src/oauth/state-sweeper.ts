import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OAUTH_CONTEXT } from '../tokens.js';
import type { OAuthContext } from './context.js';
import { deleteOldStates } from './store.js';

const SWEEP_EVERY_MS = 15 * 60_000;
const KEEP_MS = 24 * 60 * 60_000;

/** Deletes authorization states that expired more than a day ago (they only serve "already used / expired" answers). */
@Injectable()
export class StateSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  constructor(@Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    try {
      const n = await deleteOldStates(this.ctx.db.pool, new Date(this.ctx.now().getTime() - KEEP_MS));
      if (n) this.ctx.logger.debug({ deleted: n }, 'old authorization states deleted');
    } catch (err) {
      this.ctx.logger.warn({ reason: (err as Error).message }, 'state sweep failed');
    }
  }
}
