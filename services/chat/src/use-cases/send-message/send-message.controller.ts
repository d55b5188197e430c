import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ChatSubjects, SendMessageCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { ActorRegistry } from '../../conversation/actor-registry.js';
import { LOGGER } from '../../infra/tokens.js';
import { toWireReply } from '../reply.js';

@Controller()
export class SendMessageController {
  constructor(@Inject(ActorRegistry) private readonly actors: ActorRegistry, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(ChatSubjects.send)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.actors.dispatch({ type: 'send', payload: SendMessageCommand.parse(data) }));
  }
}
