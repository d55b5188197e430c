import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { z } from 'zod';
import { CreateConversationBody, MessageListQuery, PaginationQuery, RenameConversationBody, type PageQuery } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { UuidParam } from '../http/uuid-param.pipe.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { RateLimited } from '../limits/rate-limited.guard.js';
import { CreateConversation } from './create-conversation/create-conversation.usecase.js';
import { DeleteConversation } from './delete-conversation/delete-conversation.usecase.js';
import { GetConversation } from './get-conversation/get-conversation.usecase.js';
import { ListConversations } from './list-conversations/list-conversations.usecase.js';
import { ListMessages } from './list-messages/list-messages.usecase.js';
import { RenameConversation } from './rename-conversation/rename-conversation.usecase.js';

const ConversationId = new UuidParam('conversation');

@Controller('v1/conversations')
export class ConversationsController {
  constructor(
    private readonly createConversation: CreateConversation,
    private readonly listConversations: ListConversations,
    private readonly getConversation: GetConversation,
    private readonly deleteConversation: DeleteConversation,
    private readonly listMessages: ListMessages,
    private readonly renameConversation: RenameConversation,
  ) {}

  @Post()
  @RateLimited('conversationCreates')
  create(@CurrentUser() user: string, @Body(new ZodPipe(CreateConversationBody)) body: z.infer<typeof CreateConversationBody>) {
    return this.createConversation.execute(user, body);
  }

  @Get()
  list(@CurrentUser() user: string, @Query(new ZodPipe(PaginationQuery)) query: z.output<typeof PaginationQuery>) {
    return this.listConversations.execute(user, query);
  }

  @Get(':id')
  get(@CurrentUser() user: string, @Param('id', ConversationId) id: string) {
    return this.getConversation.execute(user, id);
  }

  @Patch(':id')
  rename(@CurrentUser() user: string, @Param('id', ConversationId) id: string, @Body(new ZodPipe(RenameConversationBody)) body: RenameConversationBody) {
    return this.renameConversation.execute(user, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() user: string, @Param('id', ConversationId) id: string) {
    return this.deleteConversation.execute(user, id);
  }

  @Get(':id/messages')
  messages(@CurrentUser() user: string, @Param('id', ConversationId) id: string, @Query(new ZodPipe(MessageListQuery)) query: PageQuery) {
    return this.listMessages.execute(user, id, query);
  }
}
