import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ChatRequestBody } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import type { HttpResponse } from '../http/types.js';
import { UuidParam } from '../http/uuid-param.pipe.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { RateLimited } from '../limits/rate-limited.guard.js';
import { PostChat } from './post-chat.usecase.js';
import { ResumeChatStream } from './resume-chat-stream.usecase.js';

@Controller('v1/chat')
export class AiChatController {
  constructor(
    private readonly postChat: PostChat,
    private readonly resumeChatStream: ResumeChatStream,
  ) {}

  @Post()
  @RateLimited('messages')
  chat(@CurrentUser() user: string, @Body(new ZodPipe(ChatRequestBody)) body: ChatRequestBody, @Res() res: HttpResponse) {
    return this.postChat.execute(user, body, res);
  }

  @Get(':conversationId/stream')
  resume(@CurrentUser() user: string, @Param('conversationId', new UuidParam('conversation')) id: string, @Res() res: HttpResponse) {
    return this.resumeChatStream.execute(user, id, res);
  }
}
