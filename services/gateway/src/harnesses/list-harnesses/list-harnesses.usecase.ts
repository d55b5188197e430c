import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';
import { presentHarness, WITH_SERVERS, type HarnessResponse } from '../harness.presenter.js';

@Injectable()
export class ListHarnesses {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async execute(userId: string): Promise<{ items: HarnessResponse[] }> {
    const rows = await this.db.prisma.harness.findMany({ where: { userId }, include: WITH_SERVERS, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    return { items: rows.map(presentHarness) };
  }
}
