import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitClass, RateLimitSpec } from '@harness/config';
import { DomainError } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { throttledWarning, withTimeout } from './with-timeout.js';

/** What each class counts, for the 429 message. */
const COUNTED: Record<RateLimitClass, string> = {
  messages: 'messages sent or regenerated',
  conversationCreates: 'conversations created',
  harnessWrites: 'harnesses created or updated',
  toolLists: 'tool listings',
  oauthStarts: 'OAuth authorizations started',
  logins: 'sign-ins started from this address',
  authFailures: 'invalid API keys or sessions from this address',
};

export interface RateLimitsOptions {
  /** The deployment's namespace (HARNESS_NATS_NAMESPACE): keys are `<namespace>:rl:<class>:<user>`. */
  namespace: string;
  rates: Partial<Record<RateLimitClass, RateLimitSpec | null>>;
  /** How long a decision waits for Redis before this replica decides alone. */
  redisTimeoutMs: number;
}

export interface LimitHooks {
  onRejected?: (limit: string) => void;
  onFallback?: (limit: string) => void;
}

interface ClassLimiter {
  spec: RateLimitSpec;
  shared: RateLimiterRedis;
  local: RateLimiterMemory;
}

/** The 429 of a rate limit: how long until the window lets the next request through. */
export function rateLimitedError(cls: RateLimitClass, spec: RateLimitSpec, msBeforeNext: number): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new DomainError(
    'rate_limited',
    `too many ${COUNTED[cls]}: at most ${spec.points} per ${spec.durationSeconds} s; try again in ${retryAfterSeconds} s`,
    { limit: cls, points: spec.points, durationSeconds: spec.durationSeconds, retryAfterSeconds },
  );
}

/**
 * Per-user rate limits shared by every gateway replica: one fixed-window counter per user and class in Redis, counted
 * atomically (rate-limiter-flexible's Lua increment). When Redis does not answer, the same limit is counted in this
 * replica's memory instead ("fail open to per-replica"): a Redis outage neither refuses every user nor lifts the limit
 * (it becomes N × the limit with N replicas until Redis is back).
 */
export class RateLimits {
  private readonly limiters = new Map<RateLimitClass, ClassLimiter>();
  private readonly warn = throttledWarning(60_000);

  constructor(
    redis: Redis,
    private readonly options: RateLimitsOptions,
    private readonly logger: Logger,
    private readonly hooks: LimitHooks = {},
  ) {
    for (const [cls, spec] of Object.entries(options.rates) as [RateLimitClass, RateLimitSpec | null][]) {
      if (!spec) continue;
      const common = { points: spec.points, duration: spec.durationSeconds, keyPrefix: `${options.namespace}:rl:${cls}` };
      this.limiters.set(cls, {
        spec,
        shared: new RateLimiterRedis({ ...common, storeClient: redis, rejectIfRedisNotReady: true }),
        local: new RateLimiterMemory(common),
      });
    }
  }

  /** Counts one request of the user in the class; throws 429 `rate_limited` (with retryAfterSeconds) past the limit. */
  async consume(userId: string, cls: RateLimitClass): Promise<void> {
    const limiter = this.limiters.get(cls);
    if (!limiter) return;
    try {
      await withTimeout(limiter.shared.consume(userId), this.options.redisTimeoutMs);
      return;
    } catch (err) {
      if (err instanceof RateLimiterRes) throw this.refuse(cls, limiter.spec, err);
      this.hooks.onFallback?.(cls);
      this.warn(() => this.logger.warn({ ...errorFields(err), limit: cls }, 'rate limit: Redis did not answer; counting in this replica alone'));
    }
    try {
      await limiter.local.consume(userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw this.refuse(cls, limiter.spec, err);
      throw err;
    }
  }

  /** Throws 429 when `key` has used up the class's points in the current window; counts nothing. */
  async refuseIfExhausted(key: string, cls: RateLimitClass): Promise<void> {
    const limiter = this.limiters.get(cls);
    if (!limiter) return;
    let res: RateLimiterRes | null;
    try {
      res = await withTimeout(limiter.shared.get(key), this.options.redisTimeoutMs);
    } catch (err) {
      this.hooks.onFallback?.(cls);
      this.warn(() => this.logger.warn({ ...errorFields(err), limit: cls }, 'rate limit: Redis did not answer; counting in this replica alone'));
      res = await limiter.local.get(key);
    }
    if (res && res.consumedPoints >= limiter.spec.points) throw this.refuse(cls, limiter.spec, res);
  }

  /** Counts one against `key` for a request that is failing anyway: never throws. */
  async count(key: string, cls: RateLimitClass): Promise<void> {
    await this.consume(key, cls).catch(() => undefined);
  }

  private refuse(cls: RateLimitClass, spec: RateLimitSpec, res: RateLimiterRes): DomainError {
    this.hooks.onRejected?.(cls);
    return rateLimitedError(cls, spec, res.msBeforeNext);
  }
}
