import { DomainError } from '@harness/contracts';
import type { PrismaClient } from '@harness/db';
import { WITH_SERVERS, type HarnessRow } from './harness.presenter.js';

/** A harness of this user, or 404 (another user's harness is indistinguishable from none). */
export async function findOwnedHarness(prisma: Pick<PrismaClient, 'harness'>, userId: string, id: string): Promise<HarnessRow> {
  const h = await prisma.harness.findFirst({ where: { id, userId }, include: WITH_SERVERS });
  if (!h) throw new DomainError('not_found', 'harness not found');
  return h;
}
