import { Injectable } from '@nestjs/common';
import { ConversationAccess } from '../conversations/conversation-access.js';
import type { HttpResponse } from '../http/types.js';
import { StreamSlots } from '../limits/stream-slots.js';
import { ConversationStreams } from '../streaming/conversation-streams.js';
import { runStream } from '../streaming/message-run.js';

/** `GET /v1/chat/:conversationId/stream` (the AI SDK's reconnect): the active run from its `start`, or 204. */
@Injectable()
export class ResumeChatStream {
  constructor(
    private readonly access: ConversationAccess,
    private readonly streams: ConversationStreams,
    private readonly slots: StreamSlots,
  ) {}

  async execute(userId: string, conversationId: string, res: HttpResponse): Promise<void> {
    const c = await this.access.getOwned(userId, conversationId);
    if (!c.activeRunId) {
      res.statusCode = 204;
      res.end();
      return;
    }
    const after = await this.streams.positionOfRun(c.id, c.activeRunId);
    const activeRunId = c.activeRunId;
    await this.slots.hold(userId, () => this.streams.stream(res, { conversationId: c.id, ...runStream(activeRunId, after, true), aiSdk: true }));
  }
}
