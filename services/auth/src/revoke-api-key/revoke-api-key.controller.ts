import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, RevokeApiKeyCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { RevokeApiKey } from './revoke-api-key.usecase.js';

@Controller()
export class RevokeApiKeyController {
  constructor(@Inject(RevokeApiKey) private readonly useCase: RevokeApiKey, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.revokeApiKey)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(RevokeApiKeyCommand.parse(data)));
  }
}
