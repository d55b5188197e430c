import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@harness/config';
import { budgetPeriod } from '@harness/contracts';
import type { Database } from '@harness/db';
import { CONFIG, DATABASE } from '../core/tokens.js';

/** A user's budget as it applies: their own (set by an admin), else the default of HARNESS_DEFAULT_MONTHLY_BUDGET_USD. */
export interface EffectiveBudget {
  monthlyUsd: number | null;
  source: 'user' | 'default';
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface MonthBudget {
  monthlyUsd: number | null;
  spentUsd: number;
  remainingUsd: number | null;
  periodStart: string;
  periodEnd: string;
}

const usd = (n: number) => Number(n.toFixed(8));

/**
 * Reads budgets for the API. The chat service owns `user_budgets` (it alone writes it, and enforces the budget before
 * each run); the gateway reads it here the way it reads the usage projection.
 */
@Injectable()
export class BudgetReader {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async effective(userId: string): Promise<EffectiveBudget> {
    const row = await this.db.prisma.userBudget.findUnique({ where: { userId } });
    if (!row) return { monthlyUsd: this.config.budgets.defaultMonthlyUsd, source: 'default', updatedAt: null, updatedBy: null };
    return {
      monthlyUsd: row.monthlyUsd === null ? null : Number(row.monthlyUsd),
      source: 'user',
      updatedAt: row.updatedAt.toISOString(),
      updatedBy: row.updatedBy,
    };
  }

  /** The current month (UTC): the budget, what the user's runs cost so far, and what is left. */
  async currentMonth(userId: string, now = new Date()): Promise<MonthBudget> {
    const { start, end } = budgetPeriod(now);
    const [budget, spent] = await Promise.all([
      this.effective(userId),
      this.db.prisma.usageView.aggregate({ where: { userId, createdAt: { gte: start, lt: end } }, _sum: { cost: true } }),
    ]);
    const spentUsd = usd(spent._sum.cost === null ? 0 : Number(spent._sum.cost));
    return {
      monthlyUsd: budget.monthlyUsd,
      spentUsd,
      remainingUsd: budget.monthlyUsd === null ? null : usd(Math.max(0, budget.monthlyUsd - spentUsd)),
      periodStart: start.toISOString(),
      periodEnd: end.toISOString(),
    };
  }
}
