import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthSubjects, SignInCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { toWireReply } from '../reply.js';
import { LOGGER } from '../tokens.js';
import { SignIn } from './sign-in.usecase.js';

@Controller()
export class SignInController {
  constructor(@Inject(SignIn) private readonly useCase: SignIn, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(AuthSubjects.signIn)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.useCase.execute(SignInCommand.parse(data)));
  }
}
