import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { UsageQuery } from '@harness/contracts';
import type { Database } from '@harness/db';
import { BudgetReader, type MonthBudget } from '../budgets/budget-reader.js';
import { DATABASE } from '../core/tokens.js';

export interface UsageTotals {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cost: number;
}

/**
 * The user's usage in [from, to): totals and per model, from the usage projection; and `budget`, the current month
 * (UTC) whatever from and to say.
 */
@Injectable()
export class GetUsage {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(BudgetReader) private readonly budgets: BudgetReader,
  ) {}

  async execute(
    userId: string,
    query: z.output<typeof UsageQuery>,
  ): Promise<UsageTotals & { byModel: (UsageTotals & { model: string })[]; budget: MonthBudget }> {
    const [groups, budget] = await Promise.all([this.db.prisma.usageView.groupBy({
      by: ['model'],
      where: {
        userId,
        createdAt: { ...(query.from ? { gte: new Date(query.from) } : {}), ...(query.to ? { lt: new Date(query.to) } : {}) },
      },
      _sum: { promptTokens: true, completionTokens: true, reasoningTokens: true, cost: true },
      orderBy: { model: 'asc' },
    }), this.budgets.currentMonth(userId)]);
    const byModel = groups.map((g) => ({
      model: g.model,
      promptTokens: g._sum.promptTokens ?? 0,
      completionTokens: g._sum.completionTokens ?? 0,
      reasoningTokens: g._sum.reasoningTokens ?? 0,
      cost: g._sum.cost === null ? 0 : Number(g._sum.cost),
    }));
    const sum = (f: (m: UsageTotals) => number) => byModel.reduce((acc, m) => acc + f(m), 0);
    return {
      promptTokens: sum((m) => m.promptTokens),
      completionTokens: sum((m) => m.completionTokens),
      reasoningTokens: sum((m) => m.reasoningTokens),
      cost: Number(sum((m) => m.cost).toFixed(8)),
      byModel,
      budget,
    };
  }
}
