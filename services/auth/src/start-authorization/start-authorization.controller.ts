import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, StartAuthorizationCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { StartAuthorization } from './start-authorization.usecase.js';

@Controller()
export class StartAuthorizationController {
  constructor(@Inject(StartAuthorization) private readonly useCase: StartAuthorization, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.start)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(StartAuthorizationCommand.parse(data)));
  }
}
