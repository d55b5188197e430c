import { Inject, Injectable } from '@nestjs/common';
import { AdminPolicy } from '../../admin/admin-policy.js';
import { BudgetReader } from '../budget-reader.js';

/** An admin reads a user's monthly budget: their own, or the default when none was set. */
@Injectable()
export class GetBudget {
  constructor(
    @Inject(AdminPolicy) private readonly admins: AdminPolicy,
    @Inject(BudgetReader) private readonly budgets: BudgetReader,
  ) {}

  async execute(adminId: string, userId: string) {
    await this.admins.requireAdmin(adminId, 'reading budgets');
    const b = await this.budgets.effective(userId);
    return { userId, monthlyBudgetUsd: b.monthlyUsd, source: b.source, updatedAt: b.updatedAt, updatedBy: b.updatedBy };
  }
}
