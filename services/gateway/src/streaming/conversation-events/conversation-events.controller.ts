import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { CurrentUser } from '../../auth/auth.guard.js';
import type { HttpResponse } from '../../http/types.js';
import { UuidParam } from '../../http/uuid-param.pipe.js';
import { StreamConversationEvents } from './stream-conversation-events.usecase.js';

@Controller('v1/conversations')
export class ConversationEventsController {
  constructor(private readonly streamEvents: StreamConversationEvents) {}

  @Get(':id/events')
  events(
    @CurrentUser() user: string,
    @Param('id', new UuidParam('conversation')) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('after') after: unknown,
    @Res() res: HttpResponse,
  ) {
    return this.streamEvents.execute(user, id, lastEventId, after, res);
  }
}
