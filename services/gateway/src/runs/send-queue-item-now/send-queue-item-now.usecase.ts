import { Injectable } from '@nestjs/common';
import type { SendNowResult } from '@harness/contracts';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';

/** Interrupts the active run (if any) and runs this queued item next. */
@Injectable()
export class SendQueueItemNow {
  constructor(
    private readonly access: ConversationAccess,
    private readonly chat: ChatCommands,
  ) {}

  async execute(userId: string, conversationId: string, itemId: string): Promise<SendNowResult> {
    await this.access.getOwned(userId, conversationId);
    return this.chat.send(ChatCommand.sendNow, { userId, conversationId, itemId });
  }
}
