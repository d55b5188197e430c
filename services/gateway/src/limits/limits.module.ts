import { Global, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Config } from '@harness/config';
import type { Logger } from '@harness/logging';
import { GatewayMetrics } from '../core/metrics.js';
import { CONFIG, GATEWAY_OPTIONS, LOGGER, REDIS, type GatewayOptions } from '../core/tokens.js';
import { RateLimitGuard } from './rate-limited.guard.js';
import { RateLimits, type LimitHooks } from './rate-limits.js';
import { StreamSlots } from './stream-slots.js';

/** Starts and stops the stream slots' refresh with the app. */
@Injectable()
class StreamSlotsLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly slots: StreamSlots) {}
  onModuleInit(): void {
    this.slots.start();
  }
  onApplicationShutdown(): void {
    this.slots.stop();
  }
}

const hooksOf = (metrics: GatewayMetrics): LimitHooks => ({
  onRejected: (limit) => metrics.limitRejections.inc({ limit }),
  onFallback: (limit) => metrics.limitFallbacks.inc({ limit }),
});

/** Per-user rate limits and the open-stream cap, shared by the gateway replicas through Redis. */
@Global()
@Module({
  providers: [
    {
      provide: RateLimits,
      useFactory: (config: Config, options: GatewayOptions, redis: Redis, logger: Logger, metrics: GatewayMetrics) =>
        new RateLimits(redis, { namespace: config.natsNamespace, rates: config.limits.rates, redisTimeoutMs: options.limitsRedisTimeoutMs }, logger, hooksOf(metrics)),
      inject: [CONFIG, GATEWAY_OPTIONS, REDIS, LOGGER, GatewayMetrics],
    },
    {
      provide: StreamSlots,
      useFactory: (config: Config, options: GatewayOptions, redis: Redis, logger: Logger, metrics: GatewayMetrics) =>
        new StreamSlots(
          redis,
          {
            namespace: config.natsNamespace,
            maxPerUser: config.limits.maxStreamsPerUser,
            ttlMs: options.streamSlotTtlMs,
            retryAfterSeconds: options.streamCapRetryAfterSeconds,
            redisTimeoutMs: options.limitsRedisTimeoutMs,
          },
          logger,
          hooksOf(metrics),
        ),
      inject: [CONFIG, GATEWAY_OPTIONS, REDIS, LOGGER, GatewayMetrics],
    },
    StreamSlotsLifecycle,
    RateLimitGuard,
  ],
  exports: [RateLimits, StreamSlots, RateLimitGuard],
})
export class LimitsModule {}
