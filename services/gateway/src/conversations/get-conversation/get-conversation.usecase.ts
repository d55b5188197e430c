import { Injectable } from '@nestjs/common';
import { ConversationAccess } from '../conversation-access.js';
import { presentConversation, type ConversationResponse } from '../conversation.presenter.js';

@Injectable()
export class GetConversation {
  constructor(private readonly access: ConversationAccess) {}

  async execute(userId: string, id: string): Promise<ConversationResponse> {
    const c = await this.access.getOwned(userId, id);
    return presentConversation(c, await this.access.queue(userId, c.id));
  }
}
