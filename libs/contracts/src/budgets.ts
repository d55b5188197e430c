import { z } from 'zod';
import { UserId } from './commands.js';

/**
 * Per-user monthly cost budgets. The chat service owns them (it records usage per run): it keeps `user_budgets`,
 * written only through the `budget-set` command, and refuses runs of a user whose month-to-date cost reached the
 * budget. A month is a calendar month in UTC.
 */

/** The largest budget accepted (USD): well inside the column's NUMERIC(18,8). */
export const MAX_MONTHLY_BUDGET_USD = 1_000_000_000;

/** A monthly budget in USD: 0 (nothing may run) up to MAX_MONTHLY_BUDGET_USD. */
export const MonthlyBudgetUsd = z.number().finite().min(0).max(MAX_MONTHLY_BUDGET_USD);

/** `PUT /v1/admin/users/:userId/budget`: a number, or null for unlimited. */
export const BudgetBody = z.object({ monthlyBudgetUsd: MonthlyBudgetUsd.nullable() }).strict();
export type BudgetBody = z.infer<typeof BudgetBody>;

/** Gateway → chat: set the budget of `userId` (null: unlimited), on behalf of the admin `updatedBy`. */
export const SetBudgetCommand = z.object({
  userId: UserId,
  monthlyUsd: MonthlyBudgetUsd.nullable(),
  updatedBy: UserId,
  correlationId: z.string().max(200).optional(),
});
export type SetBudgetCommand = z.infer<typeof SetBudgetCommand>;
export const SetBudgetResult = z.object({
  userId: UserId,
  monthlyUsd: z.number().nullable(),
  updatedAt: z.string(),
  updatedBy: UserId,
});
export type SetBudgetResult = z.infer<typeof SetBudgetResult>;

/** Gateway → chat: remove the budget an admin set for `userId`, so HARNESS_DEFAULT_MONTHLY_BUDGET_USD applies again. */
export const ResetBudgetCommand = z.object({ userId: UserId, updatedBy: UserId, correlationId: z.string().max(200).optional() });
export type ResetBudgetCommand = z.infer<typeof ResetBudgetCommand>;
/** `removed`: whether the user had a budget of their own. */
export const ResetBudgetResult = z.object({ userId: UserId, removed: z.boolean() });
export type ResetBudgetResult = z.infer<typeof ResetBudgetResult>;

/** The details of a 429 `budget_exceeded` (with `retryAfterSeconds`, so the gateway sets Retry-After). */
export interface BudgetExceededDetails {
  budgetUsd: number;
  spentUsd: number;
  /** When the next month starts (UTC), and with it a fresh budget. */
  resetsAt: string;
  retryAfterSeconds: number;
}

/** The budget month containing `now`: [start, end) in UTC. */
export function budgetPeriod(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/** A USD amount for messages: two decimals at least, up to eight (budgets and spends can be fractions of a cent). */
export function formatUsd(amount: number): string {
  const fixed = amount.toFixed(8).replace(/0+$/, '');
  const [whole, frac = ''] = fixed.split('.');
  return `$${whole}.${frac.padEnd(2, '0')}`;
}
