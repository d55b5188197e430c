import { Module } from '@nestjs/common';
import { ConversationAccess } from './conversation-access.js';
import { ConversationsController } from './conversations.controller.js';
import { CreateConversation } from './create-conversation/create-conversation.usecase.js';
import { DeleteConversation } from './delete-conversation/delete-conversation.usecase.js';
import { GetConversation } from './get-conversation/get-conversation.usecase.js';
import { ListConversations } from './list-conversations/list-conversations.usecase.js';
import { ListMessages } from './list-messages/list-messages.usecase.js';
import { RenameConversation } from './rename-conversation/rename-conversation.usecase.js';

@Module({
  controllers: [ConversationsController],
  providers: [ConversationAccess, CreateConversation, ListConversations, GetConversation, DeleteConversation, ListMessages, RenameConversation],
  exports: [ConversationAccess],
})
export class ConversationsModule {}
