import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, CompleteAuthorizationCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { CompleteAuthorization } from './complete-authorization.usecase.js';

@Controller()
export class CompleteAuthorizationController {
  constructor(@Inject(CompleteAuthorization) private readonly useCase: CompleteAuthorization, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.complete)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(CompleteAuthorizationCommand.parse(data)));
  }
}
