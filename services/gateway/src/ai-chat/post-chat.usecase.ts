import { Inject, Injectable } from '@nestjs/common';
import type { ChatRequestBody } from '@harness/contracts';
import type { Database } from '@harness/db';
import { ConversationAccess } from '../conversations/conversation-access.js';
import { DATABASE } from '../core/tokens.js';
import type { HttpResponse } from '../http/types.js';
import { StreamSlots } from '../limits/stream-slots.js';
import { RegenerateMessage } from '../runs/regenerate-message/regenerate-message.usecase.js';
import { SendMessage } from '../runs/send-message/send-message.usecase.js';
import { ConversationStreams } from '../streaming/conversation-streams.js';
import { messageRunStream, runStream } from '../streaming/message-run.js';
import { clientMessageIdOf, lastUserText, regenerationTarget } from './chat-request.js';

/**
 * `POST /v1/chat`, the AI SDK's DefaultChatTransport: submit sends the last user message's text (queued if a run is
 * active), regenerate re-runs an assistant message; the response is that run's UI message stream, ending with [DONE].
 */
@Injectable()
export class PostChat {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly access: ConversationAccess,
    private readonly sendMessage: SendMessage,
    private readonly regenerateMessage: RegenerateMessage,
    private readonly streams: ConversationStreams,
    private readonly slots: StreamSlots,
  ) {}

  async execute(userId: string, body: ChatRequestBody, res: HttpResponse): Promise<void> {
    await this.access.getOwned(userId, body.id);
    // The slot is taken before the command: a refused stream sends nothing.
    await this.slots.hold(userId, () =>
      this.streams.streamCommand(res, body.id, true, () =>
        body.trigger === 'regenerate-message' ? this.regenerate(userId, body) : this.submit(userId, body),
      ),
    );
  }

  private async submit(userId: string, body: ChatRequestBody) {
    const { text, messageId } = lastUserText(body.messages);
    // The UI message id makes a retried request idempotent (same answer, nothing duplicated).
    const result = await this.sendMessage.execute(userId, body.id, { content: text, clientMessageId: clientMessageIdOf(messageId) });
    return messageRunStream(result, true);
  }

  private async regenerate(userId: string, body: ChatRequestBody) {
    const assistants = await this.db.prisma.messageView.findMany({
      where: { conversationId: body.id, userId, role: 'assistant', hidden: false },
      orderBy: { firstSeq: 'desc' },
      select: { id: true },
    });
    const target = regenerationTarget(body.messageId, assistants.map((m) => m.id));
    const { runId, seq } = await this.regenerateMessage.execute(userId, body.id, target);
    return runStream(runId, seq - 1, true);
  }
}
