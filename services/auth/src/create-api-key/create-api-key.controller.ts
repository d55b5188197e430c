import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, CreateApiKeyCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { CreateApiKey } from './create-api-key.usecase.js';

@Controller()
export class CreateApiKeyController {
  constructor(@Inject(CreateApiKey) private readonly useCase: CreateApiKey, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.createApiKey)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(CreateApiKeyCommand.parse(data)));
  }
}
