-- Per-user monthly cost budgets (owned by the chat service, written only through its budget-set command). A row
-- overrides HARNESS_DEFAULT_MONTHLY_BUDGET_USD for its user; monthly_usd NULL means unlimited. The month-to-date cost
-- the budget is compared with is one range read of usage_views' existing (user_id, created_at) index.
CREATE TABLE "user_budgets" (
    "user_id" TEXT NOT NULL,
    "monthly_usd" DECIMAL(18,8),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "user_budgets_pkey" PRIMARY KEY ("user_id")
);
