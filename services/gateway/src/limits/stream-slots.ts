import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DomainError } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import type { LimitHooks } from './rate-limits.js';
import { throttledWarning, withTimeout } from './with-timeout.js';

/** Redis's own clock (every replica scores slots on the same clock), in ms. */
const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the user's slot set; ARGV: slot id, cap, ttl ms. → {1, open} taken, {0, open} refused. Expired slots go first. */
const ACQUIRE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[2]) then return {0, open} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, open + 1}`;

/** KEYS[1] the user's slot set; ARGV: ttl ms, slot ids. Pushes the slots' expiry (adds them back if Redis lost them). */
const REFRESH = `${NOW_MS}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return #ARGV - 1`;

interface SlotScripts {
  harnessStreamSlotAcquire(key: string, slot: string, cap: number, ttlMs: number): Promise<[number, number]>;
  harnessStreamSlotRefresh(key: string, ttlMs: number, ...slots: string[]): Promise<number>;
}

export interface StreamSlotsOptions {
  namespace: string;
  maxPerUser: number;
  /** A slot not refreshed for this long no longer counts (a crashed replica's streams free themselves). */
  ttlMs: number;
  /** Retry-After of a refusal: the client is expected to close one of its streams first. */
  retryAfterSeconds: number;
  redisTimeoutMs: number;
}

/**
 * Per-user cap on open event streams across gateway replicas. Each open stream holds a slot: a member of the user's
 * sorted set in Redis, scored by its expiry and refreshed by its replica every ttl/3 while the stream is open, removed
 * when it closes. A replica that dies stops refreshing, so its slots expire within ttl.
 *
 * Redis down: the cap is enforced on this replica's own streams only (they are always known here), and the slots taken
 * meanwhile are added to Redis by the next refresh that succeeds. Refusing every stream instead would stop every
 * user's chat because of a cache outage; streams need only NATS and Postgres.
 */
export class StreamSlots {
  private readonly held = new Map<string, string>(); // slot id → user id
  private readonly perUser = new Map<string, number>();
  private readonly redis: Redis & SlotScripts;
  private timer: NodeJS.Timeout | undefined;
  private readonly warn = throttledWarning(60_000);

  constructor(
    redis: Redis,
    private readonly options: StreamSlotsOptions,
    private readonly logger: Logger,
    private readonly hooks: LimitHooks = {},
  ) {
    redis.defineCommand('harnessStreamSlotAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('harnessStreamSlotRefresh', { numberOfKeys: 1, lua: REFRESH });
    this.redis = redis as Redis & SlotScripts;
  }

  /** Starts refreshing the held slots (every ttl/3). */
  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), Math.max(10, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  /** Stops refreshing; slots still held expire by themselves. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Streams the user has open through this replica. */
  openHere(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  /** Takes a slot for `run` (throws 429 when the user has none left) and gives it back when `run` settles. */
  async hold<T>(userId: string, run: () => Promise<T>): Promise<T> {
    const slot = await this.acquire(userId);
    try {
      return await run();
    } finally {
      this.release(slot);
    }
  }

  async acquire(userId: string): Promise<string> {
    const { maxPerUser, ttlMs, redisTimeoutMs } = this.options;
    if (this.openHere(userId) >= maxPerUser) throw this.refuse(maxPerUser);
    const slot = randomUUID();
    try {
      const [taken] = await withTimeout(this.redis.harnessStreamSlotAcquire(this.key(userId), slot, maxPerUser, ttlMs), redisTimeoutMs);
      if (taken !== 1) throw this.refuse(maxPerUser);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      this.hooks.onFallback?.('streams');
      this.warn(() => this.logger.warn(errorFields(err), 'stream cap: Redis did not answer; counting this replica\'s streams alone'));
      // The count checked above may be stale by now (another request of the user awaited Redis too): check again.
      if (this.openHere(userId) >= maxPerUser) throw this.refuse(maxPerUser);
    }
    this.held.set(slot, userId);
    this.perUser.set(userId, this.openHere(userId) + 1);
    return slot;
  }

  release(slot: string): void {
    const userId = this.held.get(slot);
    if (userId === undefined) return;
    this.held.delete(slot);
    const left = this.openHere(userId) - 1;
    if (left > 0) this.perUser.set(userId, left);
    else this.perUser.delete(userId);
    this.redis.zrem(this.key(userId), slot).catch((err: unknown) => this.logger.debug(errorFields(err), 'stream slot release failed (it expires by itself)'));
  }

  /**
   * Pushes every held slot's expiry. The scripts are sent in this one tick, so a release issued later reaches Redis
   * after them on the same connection: a released slot is never added back.
   */
  async refresh(): Promise<void> {
    const byUser = new Map<string, string[]>();
    for (const [slot, userId] of this.held) byUser.set(userId, [...(byUser.get(userId) ?? []), slot]);
    const sent = [...byUser].map(([userId, slots]) => this.redis.harnessStreamSlotRefresh(this.key(userId), this.options.ttlMs, ...slots));
    const results = await Promise.allSettled(sent);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.logger.debug(errorFields(failed.reason), 'stream slot refresh failed');
  }

  private key(userId: string): string {
    return `${this.options.namespace}:streams:${userId}`;
  }

  private refuse(maxPerUser: number): DomainError {
    this.hooks.onRejected?.('streams');
    return new DomainError('rate_limited', `too many open event streams: at most ${maxPerUser} per user; close one and try again`, {
      limit: 'streams',
      max: maxPerUser,
      retryAfterSeconds: this.options.retryAfterSeconds,
    });
  }
}
