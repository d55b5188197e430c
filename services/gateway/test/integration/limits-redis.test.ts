import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DomainError } from '@harness/contracts';
import { createLogger } from '@harness/logging';
import { waitFor } from '@harness/testing';
import { RateLimits } from '../../src/limits/rate-limits.js';
import { StreamSlots, type StreamSlotsOptions } from '../../src/limits/stream-slots.js';

/**
 * The limits against the real Redis, each "gateway replica" with a Redis connection of its own, configured like the
 * gateway's: a budget or a cap is shared by the replicas, and a slot whose holder died frees itself.
 */
const logger = createLogger('limits-redis-test', 'silent');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
const replicaRedis = async () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.connect();
  connections.push(redis);
  return redis;
};
const namespace = `limits-it-${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  const [admin] = connections;
  if (admin?.status === 'ready') {
    const keys = await admin.keys(`${namespace}:*`);
    if (keys.length) await admin.del(...keys);
  }
  await Promise.all(connections.map((r) => (r.status === 'end' ? undefined : r.quit().catch(() => r.disconnect()))));
});

const refusal = async (p: Promise<unknown>): Promise<DomainError | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
};

describe('rate limits across replicas', () => {
  it('two replicas share one budget per user; another user has their own', async () => {
    const options = { namespace, rates: { messages: { points: 3, durationSeconds: 60 } }, redisTimeoutMs: 1_000 };
    const fallbacks: string[] = [];
    const a = new RateLimits(await replicaRedis(), options, logger, { onFallback: (l) => fallbacks.push(l) });
    const b = new RateLimits(await replicaRedis(), options, logger, { onFallback: (l) => fallbacks.push(l) });
    await a.consume('alice', 'messages');
    await b.consume('alice', 'messages');
    await a.consume('alice', 'messages');
    const onB = await refusal(b.consume('alice', 'messages'));
    const onA = await refusal(a.consume('alice', 'messages'));
    for (const e of [onB, onA]) {
      expect(e?.code).toBe('rate_limited');
      const { retryAfterSeconds } = e?.details as { retryAfterSeconds: number };
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    expect(await refusal(b.consume('bob', 'messages'))).toBeUndefined();
    expect(fallbacks).toEqual([]); // every decision was taken in Redis
    const keys = await connections[0].keys(`${namespace}:rl:messages:*`);
    expect(keys.sort()).toEqual([`${namespace}:rl:messages:alice`, `${namespace}:rl:messages:bob`]);
  });

  it('the window ends: the budget is back after its duration', async () => {
    const options = { namespace, rates: { toolLists: { points: 1, durationSeconds: 1 } }, redisTimeoutMs: 1_000 };
    const a = new RateLimits(await replicaRedis(), options, logger);
    const b = new RateLimits(await replicaRedis(), options, logger);
    await a.consume('carol', 'toolLists');
    expect((await refusal(b.consume('carol', 'toolLists')))?.code).toBe('rate_limited');
    await waitFor(async () => (await refusal(b.consume('carol', 'toolLists'))) === undefined, { timeoutMs: 3_000, intervalMs: 100 });
  });
});

describe('open-stream cap across replicas', () => {
  const options = (over: Partial<StreamSlotsOptions> = {}): StreamSlotsOptions => ({
    namespace,
    maxPerUser: 2,
    ttlMs: 30_000,
    retryAfterSeconds: 5,
    redisTimeoutMs: 1_000,
    ...over,
  });

  it('the cap counts the streams of every replica; a closed stream frees its slot at once', async () => {
    const a = new StreamSlots(await replicaRedis(), options(), logger);
    const b = new StreamSlots(await replicaRedis(), options(), logger);
    const first = await a.acquire('dave');
    await b.acquire('dave');
    const refused = await refusal(a.acquire('dave'));
    expect(refused?.details).toEqual({ limit: 'streams', max: 2, retryAfterSeconds: 5 });
    expect(a.openHere('dave')).toBe(1); // this replica alone would have let it through
    expect(await refusal(b.acquire('erin'))).toBeUndefined();
    a.release(first);
    await waitFor(async () => (await refusal(b.acquire('dave'))) === undefined, { timeoutMs: 2_000, intervalMs: 20 });
  });

  it("a crashed replica's slots expire; a live replica's slots are kept open by its refresh", async () => {
    const ttlMs = 600;
    const live = new StreamSlots(await replicaRedis(), options({ ttlMs }), logger);
    const crashingRedis = await replicaRedis();
    const crashing = new StreamSlots(crashingRedis, options({ ttlMs }), logger);
    const other = new StreamSlots(await replicaRedis(), options({ ttlMs }), logger);
    for (const s of [live, crashing, other]) s.start();
    try {
      await live.acquire('frank');
      await crashing.acquire('frank');
      expect((await refusal(other.acquire('frank')))?.code).toBe('rate_limited');
      // The replica dies: no release, no refresh, its connection gone.
      crashing.stop();
      crashingRedis.disconnect();
      const crashedAt = Date.now();
      await waitFor(async () => (await refusal(other.acquire('frank'))) === undefined, { timeoutMs: 5_000, intervalMs: 50 });
      expect(Date.now() - crashedAt).toBeLessThan(ttlMs + 2_000);
      // Now live + other hold the two slots; well past the ttl the live one still counts (it is refreshed).
      const refreshedSince = Date.now();
      await waitFor(() => Date.now() - refreshedSince > ttlMs * 3, { timeoutMs: 5_000, intervalMs: 50 });
      expect((await refusal(other.acquire('frank')))?.code).toBe('rate_limited');
    } finally {
      live.stop();
      other.stop();
    }
  });

  it('a slot taken while Redis was unreachable is added to Redis by the first refresh after it comes back', async () => {
    // Not connected yet: with no offline queue every command fails at once, as during an outage (the first one
    // starts the connection).
    const redis = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    connections.push(redis);
    const fallbacks: string[] = [];
    const a = new StreamSlots(redis, options({ maxPerUser: 1 }), logger, { onFallback: (l) => fallbacks.push(l) });
    const b = new StreamSlots(await replicaRedis(), options({ maxPerUser: 1 }), logger);
    await a.acquire('gina');
    expect(fallbacks).toEqual(['streams']);
    expect(await refusal(b.acquire('gina'))).toBeUndefined(); // Redis never heard of a's stream
    await waitFor(() => redis.status === 'ready', { timeoutMs: 3_000, intervalMs: 10 });
    await a.refresh();
    expect(await connections[0].zcard(`${namespace}:streams:gina`)).toBe(2); // over the cap for a while: new streams wait
    expect((await refusal(b.acquire('gina')))?.code).toBe('rate_limited');
  });
});
