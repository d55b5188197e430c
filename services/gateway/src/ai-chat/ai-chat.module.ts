import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { StreamingModule } from '../streaming/streaming.module.js';
import { AiChatController } from './ai-chat.controller.js';
import { PostChat } from './post-chat.usecase.js';
import { ResumeChatStream } from './resume-chat-stream.usecase.js';

@Module({
  imports: [ConversationsModule, RunsModule, StreamingModule],
  controllers: [AiChatController],
  providers: [PostChat, ResumeChatStream],
})
export class AiChatModule {}
