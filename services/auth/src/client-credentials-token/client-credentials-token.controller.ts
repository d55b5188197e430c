import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, ClientCredentialsTokenCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { ClientCredentialsToken } from './client-credentials-token.usecase.js';

@Controller()
export class ClientCredentialsTokenController {
  constructor(@Inject(ClientCredentialsToken) private readonly useCase: ClientCredentialsToken, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.clientCredentialsToken)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(ClientCredentialsTokenCommand.parse(data)));
  }
}
