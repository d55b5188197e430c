import { Injectable } from '@nestjs/common';
import { EventStore } from '@harness/event-store';
import { ConversationAccess } from '../../conversations/conversation-access.js';
import type { HttpResponse } from '../../http/types.js';
import { StreamSlots } from '../../limits/stream-slots.js';
import { ConversationStreams } from '../conversation-streams.js';
import { parsePosition } from '../stream-position.js';

/**
 * `GET /v1/conversations/:id/events`: every event after the client's position (Last-Event-ID or ?after=), then live.
 * Without a position: from the start of the active run, else only new events.
 */
@Injectable()
export class StreamConversationEvents {
  constructor(
    private readonly access: ConversationAccess,
    private readonly store: EventStore,
    private readonly streams: ConversationStreams,
    private readonly slots: StreamSlots,
  ) {}

  async execute(userId: string, conversationId: string, lastEventId: string | undefined, after: unknown, res: HttpResponse): Promise<void> {
    const position = parsePosition(lastEventId, after);
    const c = await this.access.getOwned(userId, conversationId);
    const from =
      position ?? (c.activeRunId ? await this.streams.positionOfRun(c.id, c.activeRunId) : await this.store.version(c.id));
    await this.slots.hold(userId, () => this.streams.stream(res, { conversationId: c.id, after: from }));
  }
}
