import { Inject, Injectable } from '@nestjs/common';
import type { BudgetBody } from '@harness/contracts';
import { AdminPolicy } from '../../admin/admin-policy.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';

/** An admin sets a user's monthly budget (null: unlimited) through the chat service, which owns budgets. */
@Injectable()
export class SetBudget {
  constructor(
    @Inject(AdminPolicy) private readonly admins: AdminPolicy,
    @Inject(ChatCommands) private readonly chat: ChatCommands,
  ) {}

  async execute(adminId: string, userId: string, body: BudgetBody) {
    await this.admins.requireAdmin(adminId, 'setting budgets');
    const r = await this.chat.send(ChatCommand.setBudget, { userId, monthlyUsd: body.monthlyBudgetUsd, updatedBy: adminId });
    return { userId: r.userId, monthlyBudgetUsd: r.monthlyUsd, source: 'user' as const, updatedAt: r.updatedAt, updatedBy: r.updatedBy };
  }
}
