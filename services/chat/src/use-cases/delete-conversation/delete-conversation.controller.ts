import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ChatSubjects, DeleteConversationCommand } from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { ActorRegistry } from '../../conversation/actor-registry.js';
import { LOGGER } from '../../infra/tokens.js';
import { toWireReply } from '../reply.js';

@Controller()
export class DeleteConversationController {
  constructor(@Inject(ActorRegistry) private readonly actors: ActorRegistry, @Inject(LOGGER) private readonly logger: Logger) {}

  @MessagePattern(ChatSubjects.deleteConversation)
  handle(@Payload() data: unknown) {
    return toWireReply(this.logger, () => this.actors.dispatch({ type: 'delete', payload: DeleteConversationCommand.parse(data) }));
  }
}
