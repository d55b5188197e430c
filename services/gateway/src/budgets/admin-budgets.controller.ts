import { Body, Controller, Delete, Get, Inject, Param, Put } from '@nestjs/common';
import { BudgetBody, UserId } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { GetBudget } from './get-budget/get-budget.usecase.js';
import { ResetBudget } from './reset-budget/reset-budget.usecase.js';
import { SetBudget } from './set-budget/set-budget.usecase.js';

/** Admin only: any user's monthly cost budget. */
@Controller('v1/admin/users/:userId/budget')
export class AdminBudgetsController {
  constructor(
    @Inject(GetBudget) private readonly getBudget: GetBudget,
    @Inject(SetBudget) private readonly setBudget: SetBudget,
    @Inject(ResetBudget) private readonly resetBudget: ResetBudget,
  ) {}

  @Get()
  get(@CurrentUser() admin: string, @Param('userId', new ZodPipe(UserId)) userId: string) {
    return this.getBudget.execute(admin, userId);
  }

  @Put()
  put(@CurrentUser() admin: string, @Param('userId', new ZodPipe(UserId)) userId: string, @Body(new ZodPipe(BudgetBody)) body: BudgetBody) {
    return this.setBudget.execute(admin, userId, body);
  }

  /** Back to the default budget: answers the budget now in force (200, as GET). */
  @Delete()
  reset(@CurrentUser() admin: string, @Param('userId', new ZodPipe(UserId)) userId: string) {
    return this.resetBudget.execute(admin, userId);
  }
}
