import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, GetUserCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { GetUser } from './get-user.usecase.js';

@Controller()
export class GetUserController {
  constructor(@Inject(GetUser) private readonly useCase: GetUser, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.getUser)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(GetUserCommand.parse(data)));
  }
}
