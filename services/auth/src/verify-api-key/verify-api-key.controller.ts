import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, VerifyApiKeyCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { VerifyApiKey } from './verify-api-key.usecase.js';

@Controller()
export class VerifyApiKeyController {
  constructor(@Inject(VerifyApiKey) private readonly useCase: VerifyApiKey, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.verifyApiKey)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(VerifyApiKeyCommand.parse(data)));
  }
}
