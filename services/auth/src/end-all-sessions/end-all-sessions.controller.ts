import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, EndAllSessionsCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { EndAllSessions } from './end-all-sessions.usecase.js';

@Controller()
export class EndAllSessionsController {
  constructor(@Inject(EndAllSessions) private readonly useCase: EndAllSessions, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.endAllSessions)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(EndAllSessionsCommand.parse(data)));
  }
}
