import { DomainError } from '@harness/contracts';
import type { Database } from '@harness/db';

/**
 * 429 when the user already has `max` OAuth authorizations in flight (started, not completed, not expired): each one
 * holds a stored state and cost the auth service ~8 outbound requests. Retry-After: until the oldest one expires.
 * Checked without a lock (the auth service writes the states): concurrent starts can pass it together, which the
 * oauthStarts rate limit bounds.
 */
export async function assertPendingFlowsBelowCap(db: Database, userId: string, max: number, now = new Date()): Promise<void> {
  const where = { userId, usedAt: null, expiresAt: { gt: now } };
  const pending = await db.prisma.oAuthState.count({ where });
  if (pending < max) return;
  const oldest = await db.prisma.oAuthState.findFirst({ where, orderBy: { expiresAt: 'asc' }, select: { expiresAt: true } });
  const retryAfterSeconds = Math.max(1, Math.ceil(((oldest?.expiresAt.getTime() ?? now.getTime()) - now.getTime()) / 1000));
  throw new DomainError('rate_limited', `too many OAuth authorizations in flight: at most ${max} per user; finish one or try again later`, {
    limit: 'oauthFlows',
    max,
    retryAfterSeconds,
  });
}
