import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AnswerElicitationCommand, McpBrokerSubjects } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { Elicitations } from './elicitations.js';

@Controller()
export class ElicitationController {
  constructor(@Inject(Elicitations) private readonly elicitations: Elicitations, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(McpBrokerSubjects.answerElicitation)
  answer(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.elicitations.answer(AnswerElicitationCommand.parse(data)));
  }
}
