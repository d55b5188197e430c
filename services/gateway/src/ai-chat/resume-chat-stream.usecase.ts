import { Injectable } from '@nestjs/common';
import { ConversationAccess } from '../conversations/conversation-access.js';
import type { HttpResponse } from '../http/types.js';
import { ConversationStreams } from '../streaming/conversation-streams.js';
import { runStream } from '../streaming/message-run.js';

/** `GET /v1/chat/:conversationId/stream` (the AI SDK's reconnect): the active run from its `start`, or 204. */
@Injectable()
export class ResumeChatStream {
  constructor(
    private readonly access: ConversationAccess,
    private readonly streams: ConversationStreams,
  ) {}

  async execute(userId: string, conversationId: string, res: HttpResponse): Promise<void> {
    const c = await this.access.getOwned(userId, conversationId);
    if (!c.activeRunId) {
      res.statusCode = 204;
      res.end();
      return;
    }
    const after = await this.streams.positionOfRun(c.id, c.activeRunId);
    await this.streams.stream(res, { conversationId: c.id, ...runStream(c.activeRunId, after, true), aiSdk: true });
  }
}
