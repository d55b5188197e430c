import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@harness/db';
import { DATABASE } from '../../core/tokens.js';
import { presentHarness, type HarnessResponse } from '../harness.presenter.js';
import { findOwnedHarness } from '../owned-harness.js';

@Injectable()
export class GetHarness {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async execute(userId: string, id: string): Promise<HarnessResponse> {
    return presentHarness(await findOwnedHarness(this.db.prisma, userId, id));
  }
}
