import { DomainError, formatUsd, type BudgetExceededDetails } from '@harness/contracts';

/**
 * A user's budget for the current month as read just before a decision: absent (null) when the user has none, so
 * their spend is never read. Pure data: `decide` judges it with the functions below.
 */
export interface BudgetStatus {
  monthlyUsd: number;
  /** Month-to-date cost (USD) of the user's runs, every conversation. */
  spentUsd: number;
  /** Start of the next month (UTC, ISO-8601): the budget starts afresh. */
  resetsAt: string;
  /** When the spend was read (ISO-8601): Retry-After counts from here. */
  checkedAt: string;
}

export const isOverBudget = (b: BudgetStatus | null): b is BudgetStatus => b !== null && b.spentUsd >= b.monthlyUsd;

/** What the user is told, in a 429 and in the error of a queued message's run. */
export const budgetExceededMessage = (b: BudgetStatus): string =>
  `monthly budget exceeded: ${formatUsd(b.spentUsd)} spent this month of a ${formatUsd(b.monthlyUsd)} budget; ` +
  `it starts afresh at ${b.resetsAt} (an admin can raise it)`;

/** 429 `budget_exceeded`, with Retry-After until the month ends. */
export function budgetExceeded(b: BudgetStatus): DomainError {
  const details: BudgetExceededDetails = {
    budgetUsd: b.monthlyUsd,
    spentUsd: b.spentUsd,
    resetsAt: b.resetsAt,
    retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(b.resetsAt) - Date.parse(b.checkedAt)) / 1000)),
  };
  return new DomainError('budget_exceeded', budgetExceededMessage(b), details);
}
