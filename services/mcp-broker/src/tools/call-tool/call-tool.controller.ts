import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CallToolCommand, CancelToolCallCommand, McpBrokerSubjects } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../../reply.js';
import { LOGGER } from '../../tokens.js';
import { CallTool } from './call-tool.usecase.js';

@Controller()
export class CallToolController {
  constructor(@Inject(CallTool) private readonly callTool: CallTool, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(McpBrokerSubjects.callTool)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.callTool.execute(CallToolCommand.parse(data)));
  }

  @MessagePattern(McpBrokerSubjects.cancelToolCall)
  cancel(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.callTool.cancel(CancelToolCallCommand.parse(data)));
  }
}
