import type pg from 'pg';
import { budgetPeriod, type ResetBudgetCommand, type ResetBudgetResult, type SetBudgetCommand, type SetBudgetResult } from '@harness/contracts';
import type { BudgetStatus } from './budget-status.js';

/**
 * The `user_budgets` table (the chat service's: nothing else writes it) and the check before a run: the user's
 * budget — their own row, else HARNESS_DEFAULT_MONTHLY_BUDGET_USD — and, only when there is one, their
 * month-to-date cost.
 */
export class BudgetStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly defaultMonthlyUsd: number | null,
  ) {}

  /**
   * One round trip: the budget by primary key; the spend, one range read of usage_views (user_id, created_at), sits
   * in a CASE branch that Postgres evaluates only when the budget is not NULL, so an unlimited user costs no sum.
   */
  async status(userId: string, now = new Date()): Promise<BudgetStatus | null> {
    const { start, end } = budgetPeriod(now);
    const r = await this.pool.query<{ monthly_usd: number | null; spent_usd: number | null }>(
      `SELECT b.monthly_usd::float8 AS monthly_usd,
         CASE WHEN b.monthly_usd IS NULL THEN NULL ELSE (
           SELECT COALESCE(SUM(u.cost), 0) FROM usage_views u WHERE u.user_id = $1 AND u.created_at >= $3 AND u.created_at < $4
         ) END::float8 AS spent_usd
       FROM (SELECT CASE WHEN ub.user_id IS NULL THEN $2::numeric ELSE ub.monthly_usd END AS monthly_usd
             FROM (SELECT 1) AS one LEFT JOIN user_budgets ub ON ub.user_id = $1) AS b`,
      [userId, this.defaultMonthlyUsd, start, end],
    );
    const row = r.rows[0];
    if (!row || row.monthly_usd === null) return null;
    return { monthlyUsd: row.monthly_usd, spentUsd: row.spent_usd ?? 0, resetsAt: end.toISOString(), checkedAt: now.toISOString() };
  }

  async set(cmd: SetBudgetCommand): Promise<SetBudgetResult> {
    const r = await this.pool.query<{ monthly_usd: number | null; updated_at: Date }>(
      `INSERT INTO user_budgets (user_id, monthly_usd, updated_at, updated_by) VALUES ($1, $2, now(), $3)
       ON CONFLICT (user_id) DO UPDATE SET monthly_usd = EXCLUDED.monthly_usd, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
       RETURNING monthly_usd::float8 AS monthly_usd, updated_at`,
      [cmd.userId, cmd.monthlyUsd, cmd.updatedBy],
    );
    const row = r.rows[0];
    return { userId: cmd.userId, monthlyUsd: row.monthly_usd, updatedAt: row.updated_at.toISOString(), updatedBy: cmd.updatedBy };
  }

  /** Drops the user's own budget: the default applies again. */
  async reset(cmd: ResetBudgetCommand): Promise<ResetBudgetResult> {
    const r = await this.pool.query('DELETE FROM user_budgets WHERE user_id = $1', [cmd.userId]);
    return { userId: cmd.userId, removed: (r.rowCount ?? 0) > 0 };
  }
}
