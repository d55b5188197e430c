import { createHash } from 'node:crypto';

/**
 * Every NATS subject Harness uses, under `<namespace>.v1.` — versioned: a breaking payload change gets a new version
 * segment. The namespace (HARNESS_NATS_NAMESPACE, default `harness`) lets several deployments, or a developer's
 * running system and the test suite, share one NATS server without taking each other's commands.
 *
 * The namespace is set once at boot with `setSubjectNamespace`, BEFORE importing any module that declares Nest message
 * patterns (decorators read these getters when their module is evaluated): each service's main.ts does so.
 */
let namespace = 'harness';

export function setSubjectNamespace(ns: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(ns)) throw new Error(`invalid NATS namespace ${JSON.stringify(ns)}`);
  namespace = ns;
}

export const subjectPrefix = () => `${namespace}.v1`;

/** The BullMQ key prefix in Redis: the same namespace, so deployments sharing one Redis never run each other's jobs. */
export const queuePrefix = () => `bull:${namespace}`;

/** BullMQ queue names (under `queuePrefix()`). */
export const Queues = {
  /** One job per MCP tool call, run by the mcp-broker replicas' workers. */
  toolCalls: 'mcp-tool-calls',
} as const;

/**
 * The BullMQ job id of a tool call: derived from the user and the call (job ids may not contain ':'; scoped to the user
 * so another user's id cannot collide). The worker refuses a job stored under any other id.
 */
export function toolCallJobId(userId: string, toolCallId: string): string {
  return createHash('sha256').update(JSON.stringify([userId, toolCallId])).digest('hex').slice(0, 40);
}

export const ChatSubjects = {
  get send() { return `${subjectPrefix()}.chat.cmd.send`; },
  get interrupt() { return `${subjectPrefix()}.chat.cmd.interrupt`; },
  get removeQueueItem() { return `${subjectPrefix()}.chat.cmd.queue-remove`; },
  get sendNow() { return `${subjectPrefix()}.chat.cmd.queue-send-now`; },
  get regenerate() { return `${subjectPrefix()}.chat.cmd.regenerate`; },
  get deleteConversation() { return `${subjectPrefix()}.chat.cmd.delete-conversation`; },
  /** An admin sets a user's monthly budget (chat owns usage, so it owns budgets too). */
  get setBudget() { return `${subjectPrefix()}.chat.cmd.budget-set`; },
  get resetBudget() { return `${subjectPrefix()}.chat.cmd.budget-reset`; },
  get health() { return `${subjectPrefix()}.chat.health`; },
};

/** Queue group shared by every chat replica for the command subjects above. */
export const CHAT_QUEUE_GROUP = 'harness-chat';

/** A command that reached a replica which does not own the conversation is forwarded here; only the owner listens. */
export const ownerSubject = (conversationId: string) => `${subjectPrefix()}.chat.owner.${conversationId}`;

/** Live events of one conversation, published by the replica running it (plain publish, no reply). */
export const conversationEventsSubject = (conversationId: string) => `${subjectPrefix()}.conv.${conversationId}.events`;
/** Every conversation's live events, for internal consumers. */
export const allConversationEventsSubject = () => `${subjectPrefix()}.conv.*.events`;

export const McpBrokerSubjects = {
  get health() { return `${subjectPrefix()}.mcp-broker.health`; },
  get listTools() { return `${subjectPrefix()}.mcp-broker.cmd.list-tools`; },
  get callTool() { return `${subjectPrefix()}.mcp-broker.cmd.call-tool`; },
  get cancelToolCall() { return `${subjectPrefix()}.mcp-broker.cmd.cancel-tool-call`; },
  /** A user's answer to an MCP server's question (elicitation), from the gateway. */
  get answerElicitation() { return `${subjectPrefix()}.mcp-broker.cmd.elicitation-answer`; },
};

export const AuthSubjects = {
  get health() { return `${subjectPrefix()}.auth.health`; },
  get start() { return `${subjectPrefix()}.auth.cmd.start`; },
  get complete() { return `${subjectPrefix()}.auth.cmd.complete`; },
  get status() { return `${subjectPrefix()}.auth.cmd.status`; },
  get revoke() { return `${subjectPrefix()}.auth.cmd.revoke`; },
  get accessToken() { return `${subjectPrefix()}.auth.cmd.access-token`; },
  get clientCredentialsToken() { return `${subjectPrefix()}.auth.cmd.client-credentials-token`; },
  get createApiKey() { return `${subjectPrefix()}.auth.cmd.api-key-create`; },
  get listApiKeys() { return `${subjectPrefix()}.auth.cmd.api-key-list`; },
  get revokeApiKey() { return `${subjectPrefix()}.auth.cmd.api-key-revoke`; },
  get verifyApiKey() { return `${subjectPrefix()}.auth.cmd.api-key-verify`; },
  get signIn() { return `${subjectPrefix()}.auth.cmd.sign-in`; },
  get verifySession() { return `${subjectPrefix()}.auth.cmd.session-verify`; },
  get endSession() { return `${subjectPrefix()}.auth.cmd.session-end`; },
  get endAllSessions() { return `${subjectPrefix()}.auth.cmd.session-end-all`; },
  get getUser() { return `${subjectPrefix()}.auth.cmd.user-get`; },
  get resolveIdentity() { return `${subjectPrefix()}.auth.cmd.identity-resolve`; },
};

/** NATS header carrying the correlation id from the HTTP request through commands and events. */
export const CORRELATION_HEADER = 'x-correlation-id';
