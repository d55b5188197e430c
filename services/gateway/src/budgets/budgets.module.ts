import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { AdminBudgetsController } from './admin-budgets.controller.js';
import { BudgetReader } from './budget-reader.js';
import { GetBudget } from './get-budget/get-budget.usecase.js';
import { ResetBudget } from './reset-budget/reset-budget.usecase.js';
import { SetBudget } from './set-budget/set-budget.usecase.js';

/** Monthly cost budgets: the admin endpoints, and the reader GET /v1/usage uses for its `budget`. */
@Module({
  imports: [AdminModule],
  controllers: [AdminBudgetsController],
  providers: [BudgetReader, GetBudget, SetBudget, ResetBudget],
  exports: [BudgetReader],
})
export class BudgetsModule {}
