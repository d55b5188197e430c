import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { SendMessageBody } from '@harness/contracts';
import type { HttpResponse } from '../../http/types.js';
import { writeJson } from '../../http/write-json.js';
import { StreamSlots } from '../../limits/stream-slots.js';
import { ConversationStreams } from '../../streaming/conversation-streams.js';
import { messageRunStream } from '../../streaming/message-run.js';
import { wantsEventStream } from '../../streaming/sse-framing.js';
import { SendMessage } from './send-message.usecase.js';

/**
 * `POST /v1/conversations/:id/messages`: 202 with the outcome, or — with `Accept: text/event-stream` — the SSE stream of
 * the run this message starts (when queued: of its run once it starts), ending after its terminal event.
 */
@Injectable()
export class PostMessage {
  constructor(
    private readonly sendMessage: SendMessage,
    private readonly streams: ConversationStreams,
    private readonly slots: StreamSlots,
  ) {}

  async execute(userId: string, conversationId: string, body: z.infer<typeof SendMessageBody>, accept: string | undefined, res: HttpResponse): Promise<void> {
    if (!wantsEventStream(accept)) {
      // The same answer for the same clientMessageId, whether or not it is a replay.
      const { replayed: _replayed, ...answer } = await this.sendMessage.execute(userId, conversationId, body);
      return writeJson(res, 202, answer);
    }
    // The slot is taken before the message is sent: a refused stream sends nothing.
    await this.slots.hold(userId, () =>
      this.streams.streamCommand(res, conversationId, false, async () => {
        const result = await this.sendMessage.execute(userId, conversationId, body);
        return {
          ...messageRunStream(result, false),
          headers: { 'x-harness-message-id': result.messageId, ...(result.queueItemId ? { 'x-harness-queue-item-id': result.queueItemId } : {}) },
        };
      }),
    );
  }
}
