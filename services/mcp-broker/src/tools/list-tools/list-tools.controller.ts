import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ListToolsCommand, McpBrokerSubjects } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../../reply.js';
import { LOGGER } from '../../tokens.js';
import { ListTools } from './list-tools.usecase.js';

@Controller()
export class ListToolsController {
  constructor(@Inject(ListTools) private readonly listTools: ListTools, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(McpBrokerSubjects.listTools)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.listTools.execute(ListToolsCommand.parse(data)));
  }
}
