import { Redis } from 'ioredis';
import { loadConfig, parseRateLimit } from '@harness/config';
import { decodeCursor, decodeNameCursor, decodePositionCursor, decodeSeqCursor, DomainError, encodeNameCursor, encodePositionCursor, encodeSeqCursor, HarnessListQuery, type ListToolsResult, MessageListQuery, PaginationQuery, QueueListQuery, ToolListQuery } from '@harness/contracts';
import { createLogger } from '@harness/logging';
import { AiChatController } from '../../src/ai-chat/ai-chat.controller.js';
import { ConversationEventsController } from '../../src/streaming/conversation-events/conversation-events.controller.js';
import { ConversationsController } from '../../src/conversations/conversations.controller.js';
import { HarnessesController } from '../../src/harnesses/harnesses.controller.js';
import { toolPage } from '../../src/harnesses/list-harness-tools/tool-page.js';
import { McpOAuthController } from '../../src/mcp-oauth/mcp-oauth.controller.js';
import { RunsController } from '../../src/runs/runs.controller.js';
import { toHttpError } from '../../src/http/error-mapping.js';
import { ZodPipe } from '../../src/http/zod.pipe.js';
import { RateLimits, rateLimitedError } from '../../src/limits/rate-limits.js';
import { StreamSlots } from '../../src/limits/stream-slots.js';
import { assertBelowCap, COUNT_CAP_RETRY_AFTER_SECONDS } from '../../src/limits/user-caps.js';

const logger = createLogger('limits-test', 'silent');
const ENV = { NODE_ENV: 'test', HARNESS_JWT_SECRET: 'a-test-secret-of-enough-length', HARNESS_ENCRYPTION_KEY: 'ab'.repeat(32) } as const;

/** A real ioredis client on a port where nothing listens, configured like the gateway's (fails at once, no queue). */
const unreachableRedis = () => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
};

const caught = async (p: Promise<unknown>): Promise<DomainError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
};

describe('rate limit configuration', () => {
  it('parses <count>/<duration> and off', () => {
    expect(parseRateLimit('60/1m')).toEqual({ points: 60, durationSeconds: 60 });
    expect(parseRateLimit('10/30s')).toEqual({ points: 10, durationSeconds: 30 });
    expect(parseRateLimit(' 500 / 1h ')).toEqual({ points: 500, durationSeconds: 3_600 });
    expect(parseRateLimit('off')).toBeNull();
  });

  it.each(['60', '60/1', '0/1m', '5/0s', '5/25h', 'x/1m', '-1/1m', '1/1d'])('refuses %s', (raw) => {
    expect(() => parseRateLimit(raw)).toThrow(/count|duration/);
  });

  it('has the documented defaults, and a bad value stops the boot naming the variable', () => {
    const c = loadConfig({ ...ENV });
    expect(c.limits).toEqual({
      rates: {
        messages: { points: 60, durationSeconds: 60 },
        conversationCreates: { points: 30, durationSeconds: 60 },
        harnessWrites: { points: 30, durationSeconds: 60 },
        toolLists: { points: 30, durationSeconds: 60 },
        oauthStarts: { points: 10, durationSeconds: 60 },
        logins: { points: 30, durationSeconds: 60 },
        authFailures: { points: 60, durationSeconds: 60 },
      },
      maxStreamsPerUser: 50,
      maxHarnessesPerUser: 100,
      maxConversationsPerUser: 10_000,
    });
    expect(loadConfig({ ...ENV, HARNESS_RATE_LIMIT_MESSAGES: 'off' }).limits.rates.messages).toBeNull();
    expect(() => loadConfig({ ...ENV, HARNESS_RATE_LIMIT_MESSAGES: 'lots' })).toThrow(/HARNESS_RATE_LIMIT_MESSAGES/);
    expect(() => loadConfig({ ...ENV, HARNESS_MAX_STREAMS_PER_USER: '0' })).toThrow(/HARNESS_MAX_STREAMS_PER_USER/);
  });
});

describe('the 429 of a limit', () => {
  it('a rate limit says what, how much, and when to retry (rounded up, at least 1 s)', () => {
    const e = rateLimitedError('messages', { points: 60, durationSeconds: 60 }, 12_001);
    expect(toHttpError(e)).toEqual({
      status: 429,
      body: {
        error: {
          code: 'rate_limited',
          message: 'too many messages sent or regenerated: at most 60 per 60 s; try again in 13 s',
          details: { limit: 'messages', points: 60, durationSeconds: 60, retryAfterSeconds: 13 },
        },
      },
      unexpected: false,
    });
    expect(rateLimitedError('toolLists', { points: 1, durationSeconds: 1 }, 0).details).toMatchObject({ retryAfterSeconds: 1 });
  });

  it('a count cap refuses at the cap, not below it', () => {
    expect(() => assertBelowCap('harnesses', 99, 100)).not.toThrow();
    let err: unknown;
    try {
      assertBelowCap('harnesses', 100, 100);
    } catch (e) {
      err = e;
    }
    expect(toHttpError(err).status).toBe(429);
    expect((err as DomainError).details).toEqual({ limit: 'harnesses', max: 100, retryAfterSeconds: COUNT_CAP_RETRY_AFTER_SECONDS });
    expect(() => assertBelowCap('conversations', 7, 3)).toThrow(/at most 3 per user/);
  });
});

describe('RateLimits when Redis does not answer', () => {
  it('counts in this replica alone: the same limit, per user, and says so through its hook', async () => {
    const redis = unreachableRedis();
    const fallbacks: string[] = [];
    const rejected: string[] = [];
    const limits = new RateLimits(
      redis,
      { namespace: 'unit', rates: { messages: { points: 2, durationSeconds: 60 }, conversationCreates: null }, redisTimeoutMs: 200 },
      logger,
      { onFallback: (l) => fallbacks.push(l), onRejected: (l) => rejected.push(l) },
    );
    await limits.consume('alice', 'messages');
    await limits.consume('alice', 'messages');
    const e = await caught(limits.consume('alice', 'messages'));
    expect(e.code).toBe('rate_limited');
    expect((e.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((e.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(60);
    await limits.consume('bob', 'messages'); // another user has a budget of their own
    for (let i = 0; i < 5; i++) await limits.consume('alice', 'conversationCreates'); // off: never limited
    await limits.consume('alice', 'harnessWrites'); // not configured: never limited
    expect(fallbacks.length).toBe(4);
    expect(new Set(fallbacks)).toEqual(new Set(['messages']));
    expect(rejected).toEqual(['messages']);
    redis.disconnect();
  });
});

describe('StreamSlots when Redis does not answer', () => {
  it("caps the user's streams on this replica, and a settled stream gives its slot back", async () => {
    const redis = unreachableRedis();
    const slots = new StreamSlots(redis, { namespace: 'unit', maxPerUser: 2, ttlMs: 1_000, retryAfterSeconds: 5, redisTimeoutMs: 200 }, logger);
    const a = await slots.acquire('alice');
    await slots.acquire('alice');
    const e = await caught(slots.acquire('alice'));
    expect(toHttpError(e)).toMatchObject({ status: 429, body: { error: { code: 'rate_limited', details: { limit: 'streams', max: 2, retryAfterSeconds: 5 } } } });
    await slots.acquire('bob');
    slots.release(a);
    slots.release(a); // twice is harmless
    expect(slots.openHere('alice')).toBe(1);
    await expect(slots.hold('alice', async () => {
      expect(slots.openHere('alice')).toBe(2);
      throw new Error('stream failed');
    })).rejects.toThrow('stream failed');
    expect(slots.openHere('alice')).toBe(1);
    await expect(slots.hold('alice', async () => 'done')).resolves.toBe('done');
    expect(slots.openHere('alice')).toBe(1);
    await slots.refresh(); // fails quietly
    redis.disconnect();
  });
});

describe('list pagination', () => {
  it('each list has its default page size and its bound; a bad limit is 400 naming `limit`', () => {
    expect(new ZodPipe(PaginationQuery).transform({})).toEqual({ limit: 50 });
    expect(new ZodPipe(HarnessListQuery).transform({})).toEqual({ limit: 100 });
    expect(new ZodPipe(MessageListQuery).transform({ limit: '500', cursor: 'x' })).toEqual({ limit: 500, cursor: 'x' });
    expect(new ZodPipe(QueueListQuery).transform({})).toEqual({ limit: 200 });
    expect(new ZodPipe(ToolListQuery).transform({})).toEqual({ limit: 200 });
    for (const [schema, bad] of [[HarnessListQuery, '201'], [MessageListQuery, '501'], [QueueListQuery, '0'], [ToolListQuery, 'ten']] as const) {
      let err: unknown;
      try {
        new ZodPipe(schema).transform({ limit: bad });
      } catch (e) {
        err = e;
      }
      expect(toHttpError(err)).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', message: expect.stringMatching(/^limit: /), details: { issues: [{ path: 'limit' }] } } } });
    }
  });

  it('cursors round-trip, and one of another kind or a made-up one is 400 naming `cursor`', () => {
    expect(decodeSeqCursor(encodeSeqCursor(42))).toBe(42);
    const id = '0b6f8f51-5d0e-4c35-9a49-3c1b6f0f7d10';
    expect(decodePositionCursor(encodePositionCursor(3, id))).toEqual({ position: 3, id });
    expect(decodeNameCursor(encodeNameCursor('srv__echo'))).toBe('srv__echo');
    for (const bad of [() => decodeSeqCursor(encodeNameCursor('a')), () => decodeNameCursor(encodeSeqCursor(1)), () => decodeCursor(encodeSeqCursor(1)), () => decodeSeqCursor('nope'), () => decodeSeqCursor(Buffer.from('["seq",-1]').toString('base64url'))]) {
      let err: unknown;
      try {
        bad();
      } catch (e) {
        err = e;
      }
      expect(toHttpError(err)).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', details: { issues: [{ path: 'cursor' }] } } } });
    }
  });

  it('pages tools by name whatever order the servers answered in; errors are on every page', () => {
    const tool = (name: string) => ({ name, originalName: name, serverId: 's', description: '', inputSchema: {} });
    const listed: ListToolsResult = { items: ['c', 'a', 'B', 'b', 'a_2'].map(tool), errors: [{ serverId: 'x', serverName: 'down', message: 'unreachable' }] };
    const first = toolPage(listed, 2, undefined);
    expect(first.items.map((t) => t.name)).toEqual(['B', 'a']);
    expect(first.errors).toEqual(listed.errors);
    const second = toolPage({ ...listed, items: [...listed.items].reverse() }, 2, decodeNameCursor(first.nextCursor!));
    expect(second.items.map((t) => t.name)).toEqual(['a_2', 'b']);
    const last = toolPage(listed, 2, decodeNameCursor(second.nextCursor!));
    expect(last).toEqual({ items: [tool('c')], errors: listed.errors, nextCursor: null });
    expect(toolPage(listed, 5, undefined).nextCursor).toBeNull();
    expect(toolPage({ items: [], errors: [] }, 5, 'zzz')).toEqual({ items: [], errors: [], nextCursor: null });
  });
});

describe('which routes are rate-limited', () => {
  const classOf = (controller: { prototype: object }, method: string): unknown =>
    Reflect.getMetadata('harness:rate-limit', (controller.prototype as Record<string, object>)[method]);

  it('every costly route counts against its class, and nothing else is limited', () => {
    const expected: [{ prototype: object; name: string }, string, string | undefined][] = [
      [RunsController, 'send', 'messages'],
      [RunsController, 'sendNow', 'messages'],
      [RunsController, 'regenerate', 'messages'],
      [AiChatController, 'chat', 'messages'],
      [ConversationsController, 'create', 'conversationCreates'],
      [HarnessesController, 'create', 'harnessWrites'],
      [HarnessesController, 'update', 'harnessWrites'],
      [HarnessesController, 'tools', 'toolLists'],
      [McpOAuthController, 'start', 'oauthStarts'],
    ];
    for (const [controller, method, cls] of expected) expect([controller.name, method, classOf(controller, method)]).toEqual([controller.name, method, cls]);
    const limitedRoutes = new Set(expected.map(([c, m]) => `${c.name}.${m}`));
    for (const controller of [RunsController, AiChatController, ConversationsController, HarnessesController, McpOAuthController, ConversationEventsController]) {
      for (const method of Object.getOwnPropertyNames(controller.prototype).filter((m) => m !== 'constructor')) {
        if (!limitedRoutes.has(`${controller.name}.${method}`)) expect([controller.name, method, classOf(controller, method)]).toEqual([controller.name, method, undefined]);
      }
    }
  });
});
