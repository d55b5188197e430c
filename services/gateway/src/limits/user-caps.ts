import { DomainError } from '@harness/contracts';

/** Retry-After of a count cap: nothing frees by waiting alone (the user deletes something), so a nominal minute. */
export const COUNT_CAP_RETRY_AFTER_SECONDS = 60;

export type CountedThing = 'harnesses' | 'conversations';

/** 429 when the user already has `max` of the thing (a create would pass the cap). */
export function assertBelowCap(thing: CountedThing, current: number, max: number): void {
  if (current < max) return;
  throw new DomainError('rate_limited', `too many ${thing}: at most ${max} per user; delete one to create another`, {
    limit: thing,
    max,
    retryAfterSeconds: COUNT_CAP_RETRY_AFTER_SECONDS,
  });
}

/**
 * SQL taking a transaction-scoped advisory lock on (thing, user): creates of one user's things are serialized from the
 * count to the insert, so concurrent creates never pass the cap together (other users are not blocked).
 */
export const CAP_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`;
export const capLockKey = (thing: CountedThing, userId: string) => `cap:${thing}:${userId}`;
