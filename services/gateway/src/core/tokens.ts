import type { FeedTuning } from '../streaming/event-feed.js';

/** DI tokens for values that are not classes. */
export const CONFIG = Symbol('CONFIG');
export const LOGGER = Symbol('LOGGER');
export const DATABASE = Symbol('DATABASE');
export const NATS = Symbol('NATS');
export const REDIS = Symbol('REDIS');
export const KEYRING = Symbol('KEYRING');
export const CHAT_CLIENT = 'CHAT_CLIENT';
export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');

/** Knobs that are not deployment configuration (tests shorten them). */
export interface GatewayOptions {
  /** How long a chat command may take before the request fails with 503. */
  commandTimeoutMs: number;
  /** How long readiness waits for each dependency. */
  readinessTimeoutMs: number;
  /** Catch-up timings of SSE streams. */
  feedTuning?: Partial<FeedTuning>;
  /** How long a limit decision waits for Redis before this replica decides alone. */
  limitsRedisTimeoutMs: number;
  /** An open stream's slot (the per-user stream cap) expires unless its replica refreshes it within this time. */
  streamSlotTtlMs: number;
  /** Retry-After of a refused stream (the client is expected to close one of its streams). */
  streamCapRetryAfterSeconds: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  commandTimeoutMs: 10_000,
  readinessTimeoutMs: 1_000,
  limitsRedisTimeoutMs: 500,
  streamSlotTtlMs: 30_000,
  streamCapRetryAfterSeconds: 5,
};
