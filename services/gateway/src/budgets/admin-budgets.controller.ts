import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { BudgetBody, UserId } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { GetBudget } from './get-budget/get-budget.usecase.js';
import { SetBudget } from './set-budget/set-budget.usecase.js';

/** Admin only: any user's monthly cost budget. */
@Controller('v1/admin/users/:userId/budget')
export class AdminBudgetsController {
  constructor(
    @Inject(GetBudget) private readonly getBudget: GetBudget,
    @Inject(SetBudget) private readonly setBudget: SetBudget,
  ) {}

  @Get()
  get(@CurrentUser() admin: string, @Param('userId', new ZodPipe(UserId)) userId: string) {
    return this.getBudget.execute(admin, userId);
  }

  @Put()
  put(@CurrentUser() admin: string, @Param('userId', new ZodPipe(UserId)) userId: string, @Body(new ZodPipe(BudgetBody)) body: BudgetBody) {
    return this.setBudget.execute(admin, userId, body);
  }
}
