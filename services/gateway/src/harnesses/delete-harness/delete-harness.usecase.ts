import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@harness/contracts';
import type { Database } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';

/** Deletes the harness and its servers (and their stored tokens). Conversations keep their history. */
@Injectable()
export class DeleteHarness {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async execute(userId: string, id: string): Promise<void> {
    const { count } = await this.db.prisma.harness.deleteMany({ where: { id, userId } });
    if (count === 0) throw new DomainError('not_found', 'harness not found');
  }
}
