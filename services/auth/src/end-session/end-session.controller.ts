import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, EndSessionCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { EndSession } from './end-session.usecase.js';

@Controller()
export class EndSessionController {
  constructor(@Inject(EndSession) private readonly useCase: EndSession, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.endSession)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(EndSessionCommand.parse(data)));
  }
}
