import { Injectable } from '@nestjs/common';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';
import { ConversationAccess } from '../conversation-access.js';

/** The chat service owns a conversation's events: it stops any run and removes the conversation's data. */
@Injectable()
export class DeleteConversation {
  constructor(
    private readonly access: ConversationAccess,
    private readonly chat: ChatCommands,
  ) {}

  async execute(userId: string, id: string): Promise<void> {
    await this.access.getOwned(userId, id);
    await this.chat.send(ChatCommand.deleteConversation, { userId, conversationId: id });
  }
}
