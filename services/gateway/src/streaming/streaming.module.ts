import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { ConversationEventsController } from './conversation-events/conversation-events.controller.js';
import { StreamConversationEvents } from './conversation-events/stream-conversation-events.usecase.js';
import { ConversationStreams } from './conversation-streams.js';
import { LiveHub } from './live-hub.js';

@Module({
  imports: [ConversationsModule],
  controllers: [ConversationEventsController],
  providers: [LiveHub, ConversationStreams, StreamConversationEvents],
  exports: [ConversationStreams, LiveHub],
})
export class StreamingModule {}
