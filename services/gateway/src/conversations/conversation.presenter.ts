import type { ConversationModel as Conversation, QueueItemViewModel as QueueItemView } from '@harness/db';

export const presentQueueItem = (q: QueueItemView) => ({ id: q.id, content: q.content, createdAt: q.createdAt.toISOString() });
export type QueueItemResponse = ReturnType<typeof presentQueueItem>;

export const presentConversation = (c: Conversation, queue: QueueItemView[]) => ({
  id: c.id,
  harnessId: c.harnessId,
  title: c.title,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
  activeRunId: c.activeRunId,
  queue: queue.map(presentQueueItem),
});
export type ConversationResponse = ReturnType<typeof presentConversation>;
