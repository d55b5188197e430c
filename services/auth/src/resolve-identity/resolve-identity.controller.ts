import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, ResolveIdentityCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { ResolveIdentity } from './resolve-identity.usecase.js';

@Controller()
export class ResolveIdentityController {
  constructor(@Inject(ResolveIdentity) private readonly useCase: ResolveIdentity, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.resolveIdentity)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(ResolveIdentityCommand.parse(data)));
  }
}
