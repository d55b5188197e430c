import { Injectable } from '@nestjs/common';
import type { RegenerateResult } from '@harness/contracts';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';

/** Re-runs an assistant message; the answer carries the new run's id and the seq its events start after. */
@Injectable()
export class RegenerateMessage {
  constructor(
    private readonly access: ConversationAccess,
    private readonly chat: ChatCommands,
  ) {}

  async execute(userId: string, conversationId: string, messageId: string): Promise<RegenerateResult> {
    await this.access.getOwned(userId, conversationId);
    return this.chat.send(ChatCommand.regenerate, { userId, conversationId, messageId });
  }
}
