import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, ConnectionStatusCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { ConnectionStatus } from './connection-status.usecase.js';

@Controller()
export class ConnectionStatusController {
  constructor(@Inject(ConnectionStatus) private readonly useCase: ConnectionStatus, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.status)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(ConnectionStatusCommand.parse(data)));
  }
}
