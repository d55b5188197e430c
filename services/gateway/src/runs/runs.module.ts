import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { StreamingModule } from '../streaming/streaming.module.js';
import { AnswerElicitation } from './answer-elicitation/answer-elicitation.usecase.js';
import { GetQueue } from './get-queue/get-queue.usecase.js';
import { InterruptRun } from './interrupt-run/interrupt-run.usecase.js';
import { RegenerateMessage } from './regenerate-message/regenerate-message.usecase.js';
import { RemoveQueueItem } from './remove-queue-item/remove-queue-item.usecase.js';
import { RunsController } from './runs.controller.js';
import { PostMessage } from './send-message/post-message.usecase.js';
import { SendMessage } from './send-message/send-message.usecase.js';
import { SendQueueItemNow } from './send-queue-item-now/send-queue-item-now.usecase.js';

@Module({
  imports: [ConversationsModule, StreamingModule],
  controllers: [RunsController],
  providers: [SendMessage, PostMessage, InterruptRun, AnswerElicitation, GetQueue, RemoveQueueItem, SendQueueItemNow, RegenerateMessage],
  exports: [SendMessage, RegenerateMessage],
})
export class RunsModule {}
