import { Inject, Injectable } from '@nestjs/common';
import { AdminPolicy } from '../../admin/admin-policy.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';
import { GetBudget } from '../get-budget/get-budget.usecase.js';

/** An admin removes a user's own budget, so HARNESS_DEFAULT_MONTHLY_BUDGET_USD applies again; answers the budget now in force. */
@Injectable()
export class ResetBudget {
  constructor(
    @Inject(AdminPolicy) private readonly admins: AdminPolicy,
    @Inject(ChatCommands) private readonly chat: ChatCommands,
    @Inject(GetBudget) private readonly getBudget: GetBudget,
  ) {}

  async execute(adminId: string, userId: string) {
    await this.admins.requireAdmin(adminId, 'resetting budgets');
    await this.chat.send(ChatCommand.resetBudget, { userId, updatedBy: adminId });
    return this.getBudget.execute(adminId, userId);
  }
}
