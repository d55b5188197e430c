import { Injectable } from '@nestjs/common';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';

@Injectable()
export class RemoveQueueItem {
  constructor(
    private readonly access: ConversationAccess,
    private readonly chat: ChatCommands,
  ) {}

  async execute(userId: string, conversationId: string, itemId: string): Promise<void> {
    await this.access.getOwned(userId, conversationId);
    await this.chat.send(ChatCommand.removeQueueItem, { userId, conversationId, itemId });
  }
}
