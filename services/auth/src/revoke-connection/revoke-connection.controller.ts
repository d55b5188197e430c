import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, RevokeConnectionCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { RevokeConnection } from './revoke-connection.usecase.js';

@Controller()
export class RevokeConnectionController {
  constructor(@Inject(RevokeConnection) private readonly useCase: RevokeConnection, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.revoke)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(RevokeConnectionCommand.parse(data)));
  }
}
