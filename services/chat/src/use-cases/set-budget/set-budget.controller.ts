import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ChatSubjects, SetBudgetCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { BudgetStore } from '../../budgets/budget-store.js';
import { LOGGER } from '../../infra/tokens.js';
import { toWireReply } from '../reply.js';

/** An admin's budget for a user (the gateway checked the caller is an admin). Any replica answers: no conversation involved. */
@Controller()
export class SetBudgetController {
  constructor(@Inject(BudgetStore) private readonly budgets: BudgetStore, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(ChatSubjects.setBudget)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, async () => {
      const cmd = SetBudgetCommand.parse(data);
      const result = await this.budgets.set(cmd);
      this.logger.info({ userId: cmd.userId, monthlyUsd: cmd.monthlyUsd, updatedBy: cmd.updatedBy }, 'monthly budget set');
      return result;
    });
  }
}
