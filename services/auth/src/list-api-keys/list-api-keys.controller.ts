import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, ListApiKeysCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { ListApiKeys } from './list-api-keys.usecase.js';

@Controller()
export class ListApiKeysController {
  constructor(@Inject(ListApiKeys) private readonly useCase: ListApiKeys, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.listApiKeys)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(ListApiKeysCommand.parse(data)));
  }
}
