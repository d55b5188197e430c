import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { DomainError, isContentTooLong, MAX_CONTENT_CHARS, type SendMessageBody, type SendMessageResult } from '@harness/contracts';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { ChatCommand, ChatCommands } from '../../core/chat-commands.js';

/** Hands a user message to chat: it starts a run, or queues the message behind the active one. */
@Injectable()
export class SendMessage {
  constructor(
    private readonly access: ConversationAccess,
    private readonly chat: ChatCommands,
  ) {}

  async execute(userId: string, conversationId: string, body: z.infer<typeof SendMessageBody>): Promise<SendMessageResult> {
    if (isContentTooLong(body.content)) {
      throw new DomainError('payload_too_large', `content must be at most ${MAX_CONTENT_CHARS} characters`, { field: 'content', maxChars: MAX_CONTENT_CHARS });
    }
    await this.access.getOwned(userId, conversationId);
    return this.chat.send(ChatCommand.send, { userId, conversationId, content: body.content, clientMessageId: body.clientMessageId });
  }
}
