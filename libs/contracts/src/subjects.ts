/** Every NATS subject Harness uses. Versioned: a breaking payload change gets a new version segment. */
export const SUBJECT_PREFIX = 'harness.v1';

export const ChatSubjects = {
  send: `${SUBJECT_PREFIX}.chat.cmd.send`,
  interrupt: `${SUBJECT_PREFIX}.chat.cmd.interrupt`,
  removeQueueItem: `${SUBJECT_PREFIX}.chat.cmd.queue-remove`,
  sendNow: `${SUBJECT_PREFIX}.chat.cmd.queue-send-now`,
  regenerate: `${SUBJECT_PREFIX}.chat.cmd.regenerate`,
  deleteConversation: `${SUBJECT_PREFIX}.chat.cmd.delete-conversation`,
  health: `${SUBJECT_PREFIX}.chat.health`,
} as const;

/** Queue group shared by every chat replica for the command subjects above. */
export const CHAT_QUEUE_GROUP = 'harness-chat';

/** A command that reached a replica which does not own the conversation is forwarded here; only the owner listens. */
export const ownerSubject = (conversationId: string) => `${SUBJECT_PREFIX}.chat.owner.${conversationId}`;

/** Live events of one conversation, published by the replica running it (plain publish, no reply). */
export const conversationEventsSubject = (conversationId: string) => `${SUBJECT_PREFIX}.conv.${conversationId}.events`;
/** Every conversation's live events, for internal consumers. */
export const ALL_CONVERSATION_EVENTS = `${SUBJECT_PREFIX}.conv.*.events`;

export const McpBrokerSubjects = {
  health: `${SUBJECT_PREFIX}.mcp-broker.health`,
} as const;

export const AuthSubjects = {
  health: `${SUBJECT_PREFIX}.auth.health`,
} as const;

/** NATS header carrying the correlation id from the HTTP request through commands and events. */
export const CORRELATION_HEADER = 'x-correlation-id';
