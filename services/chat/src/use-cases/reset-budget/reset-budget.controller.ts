import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ChatSubjects, ResetBudgetCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { BudgetStore } from '../../budgets/budget-store.js';
import { LOGGER } from '../../infra/tokens.js';
import { toWireReply } from '../reply.js';

/** An admin puts a user back on the default budget (the gateway checked the caller is an admin). Any replica answers. */
@Controller()
export class ResetBudgetController {
  constructor(@Inject(BudgetStore) private readonly budgets: BudgetStore, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(ChatSubjects.resetBudget)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, async () => {
      const cmd = ResetBudgetCommand.parse(data);
      const result = await this.budgets.reset(cmd);
      this.logger.info({ userId: cmd.userId, removed: result.removed, updatedBy: cmd.updatedBy }, 'monthly budget reset to the default');
      return result;
    });
  }
}
