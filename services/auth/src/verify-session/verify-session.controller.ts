import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, VerifySessionCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { VerifySession } from './verify-session.usecase.js';

@Controller()
export class VerifySessionController {
  constructor(@Inject(VerifySession) private readonly useCase: VerifySession, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.verifySession)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(VerifySessionCommand.parse(data)));
  }
}
