import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { z } from 'zod';
import { ElicitationAnswerBody, QueueListQuery, SendMessageBody, type PageQuery } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import type { HttpResponse } from '../http/types.js';
import { UuidParam } from '../http/uuid-param.pipe.js';
import { RateLimited } from '../limits/rate-limited.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { AnswerElicitation } from './answer-elicitation/answer-elicitation.usecase.js';
import { GetQueue } from './get-queue/get-queue.usecase.js';
import { InterruptRun } from './interrupt-run/interrupt-run.usecase.js';
import { RegenerateMessage } from './regenerate-message/regenerate-message.usecase.js';
import { RemoveQueueItem } from './remove-queue-item/remove-queue-item.usecase.js';
import { PostMessage } from './send-message/post-message.usecase.js';
import { SendQueueItemNow } from './send-queue-item-now/send-queue-item-now.usecase.js';

const ConversationId = new UuidParam('conversation');
const ItemId = new UuidParam('queue item');

@Controller('v1/conversations/:id')
export class RunsController {
  constructor(
    private readonly postMessage: PostMessage,
    private readonly interruptRun: InterruptRun,
    private readonly getQueue: GetQueue,
    private readonly removeQueueItem: RemoveQueueItem,
    private readonly sendQueueItemNow: SendQueueItemNow,
    private readonly regenerateMessage: RegenerateMessage,
    private readonly answerElicitation: AnswerElicitation,
  ) {}

  @Post('messages')
  @RateLimited('messages')
  send(
    @CurrentUser() user: string,
    @Param('id', ConversationId) id: string,
    @Body(new ZodPipe(SendMessageBody)) body: z.infer<typeof SendMessageBody>,
    @Headers('accept') accept: string | undefined,
    @Res() res: HttpResponse,
  ) {
    return this.postMessage.execute(user, id, body, accept, res);
  }

  @Post('interrupt')
  @HttpCode(202)
  interrupt(@CurrentUser() user: string, @Param('id', ConversationId) id: string) {
    return this.interruptRun.execute(user, id);
  }

  /** The user's answer to an MCP server's question (`data-elicitation` in the run's stream). */
  @Post('elicitations/:elicitationId')
  @HttpCode(202)
  answer(
    @CurrentUser() user: string,
    @Param('id', ConversationId) id: string,
    @Param('elicitationId') elicitationId: string,
    @Body(new ZodPipe(ElicitationAnswerBody)) body: ElicitationAnswerBody,
  ) {
    return this.answerElicitation.execute(user, id, elicitationId, body);
  }

  @Get('queue')
  queue(@CurrentUser() user: string, @Param('id', ConversationId) id: string, @Query(new ZodPipe(QueueListQuery)) query: PageQuery) {
    return this.getQueue.execute(user, id, query);
  }

  @Delete('queue/:itemId')
  @HttpCode(204)
  removeItem(@CurrentUser() user: string, @Param('id', ConversationId) id: string, @Param('itemId', ItemId) itemId: string) {
    return this.removeQueueItem.execute(user, id, itemId);
  }

  @Post('queue/:itemId/send-now')
  @HttpCode(202)
  @RateLimited('messages')
  sendNow(@CurrentUser() user: string, @Param('id', ConversationId) id: string, @Param('itemId', ItemId) itemId: string) {
    return this.sendQueueItemNow.execute(user, id, itemId);
  }

  @Post('messages/:messageId/regenerate')
  @HttpCode(202)
  @RateLimited('messages')
  regenerate(@CurrentUser() user: string, @Param('id', ConversationId) id: string, @Param('messageId', new UuidParam('message')) messageId: string) {
    return this.regenerateMessage.execute(user, id, messageId).then(({ runId }) => ({ runId }));
  }
}
