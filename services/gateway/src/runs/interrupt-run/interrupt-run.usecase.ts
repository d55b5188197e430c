import { Injectable } from '@nestjs/common';
import type { InterruptResult } from '@harness/contracts';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';

/** Stops the active run (its partial answer is kept as interrupted); `runId` null when none was active. */
@Injectable()
export class InterruptRun {
  constructor(
    private readonly access: ConversationAccess,
    private readonly chat: ChatCommands,
  ) {}

  async execute(userId: string, conversationId: string): Promise<InterruptResult> {
    await this.access.getOwned(userId, conversationId);
    return this.chat.send(ChatCommand.interrupt, { userId, conversationId });
  }
}
