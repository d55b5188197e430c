import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '@harness/config';
import { queuePrefix, Queues } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { Authenticator } from '../auth/authenticate.js';
import { GatewayMetrics } from '../core/metrics.js';
import { CONFIG, LOGGER } from '../core/tokens.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { ADMIN_QUEUES_PATH, adminOnly } from './admin-auth.js';
import { AdminPolicy } from './admin-policy.js';

type Handler = (req: HttpRequest, res: HttpResponse, next: (err?: unknown) => void) => void;

/**
 * Bull Board for the mcp-broker's tool-call queue (same name and key prefix as the broker's, on a Redis connection of
 * its own), behind adminOnly, which also keeps it read-only but for retry and clean (a job the board could add or
 * edit would run a tool call as any user; the broker's worker also refuses jobs chat did not sign). The same queue
 * feeds the `queue_*` gauges of /metrics.
 */
@Injectable()
export class QueueBoard implements OnApplicationShutdown {
  readonly queue: Queue;
  private readonly redis: Redis;
  private readonly board: Handler;
  private readonly guard: Handler;
  private readonly unwatch: () => void;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: GatewayMetrics,
    @Inject(Authenticator) authenticator: Authenticator,
    @Inject(AdminPolicy) policy: AdminPolicy,
  ) {
    // No offline queue: while Redis is down, the board's and the metrics' reads fail at once instead of piling up.
    this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.redis.on('error', (err) => logger.debug(errorFields(err), 'queue board redis error'));
    this.queue = new Queue(Queues.toolCalls, { connection: this.redis, prefix: queuePrefix() });
    this.queue.on('error', (err) => logger.debug(errorFields(err), 'queue board queue error'));
    this.unwatch = metrics.watchQueue(this.queue);

    const server = new ExpressAdapter();
    server.setBasePath(ADMIN_QUEUES_PATH);
    createBullBoard({
      // Not the adapter's readOnlyMode (it also removes retry): adminOnly refuses every action but retry and clean.
      queues: [new BullMQAdapter(this.queue, { description: 'MCP tool calls, run by the mcp-broker workers', allowRetries: true })],
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'Harness queues' } },
    });
    const app = server.getRouter() as Handler & { disable(setting: string): void };
    app.disable('x-powered-by');
    this.board = app;
    this.guard = adminOnly(authenticator, policy) as Handler;
  }

  /** The handlers to mount at ADMIN_QUEUES_PATH on the gateway's Express instance: the admin check, then the board. */
  handlers(): Handler[] {
    return [this.guard, this.board];
  }

  async onApplicationShutdown(): Promise<void> {
    this.unwatch();
    await this.queue.close().catch((err) => this.logger.debug(errorFields(err), 'queue board: closing the queue failed'));
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
