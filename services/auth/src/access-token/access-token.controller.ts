import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, GetAccessTokenCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { GetAccessToken } from './access-token.usecase.js';

@Controller()
export class GetAccessTokenController {
  constructor(@Inject(GetAccessToken) private readonly useCase: GetAccessToken, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.accessToken)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(GetAccessTokenCommand.parse(data)));
  }
}
