import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, type PageQuery } from '@harness/contracts';
import type { Database } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';
import { presentHarness, WITH_SERVERS, type HarnessResponse } from '../harness.presenter.js';

/** Newest first, keyset-paginated on (createdAt, id). */
@Injectable()
export class ListHarnesses {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async execute(userId: string, query: PageQuery): Promise<{ items: HarnessResponse[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.db.prisma.harness.findMany({
      where: {
        userId,
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      include: WITH_SERVERS,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map(presentHarness), nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
  }
}
