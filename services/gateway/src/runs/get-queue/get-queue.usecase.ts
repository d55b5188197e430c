import { Injectable } from '@nestjs/common';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import { presentQueueItem, type QueueItemResponse } from '../../conversations/conversation.presenter.js';

/** The queued messages, in order, from the queue projection. */
@Injectable()
export class GetQueue {
  constructor(private readonly access: ConversationAccess) {}

  async execute(userId: string, conversationId: string): Promise<{ items: QueueItemResponse[] }> {
    await this.access.getOwned(userId, conversationId);
    return { items: (await this.access.queue(userId, conversationId)).map(presentQueueItem) };
  }
}
