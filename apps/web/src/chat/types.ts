import type { UIMessage } from 'ai';
import type { QueueItem, Usage } from '../api/types';

export type MessageStatus = 'complete' | 'streaming' | 'interrupted' | 'failed';

/** What the app keeps beside a message's parts: the API's fields, and the run's `start`/`finish` metadata. */
export interface MessageMeta {
  status?: MessageStatus;
  usage?: Usage;
  model?: string;
  error?: string;
  runId?: string;
  createdAt?: string;
  regenerates?: string;
  /** Set by the AI SDK from `messageMetadata` of `start` and `finish` chunks. */
  [key: string]: unknown;
}

export type ChatMessage = UIMessage<MessageMeta>;

/** A message as GET /v1/conversations/:id/messages returns it. */
export interface ApiMessage {
  id: string;
  role: 'user' | 'assistant';
  status: MessageStatus;
  parts: ChatMessage['parts'];
  model?: string;
  usage?: Usage;
  error?: string;
  createdAt: string;
}

export interface ToolInfo {
  /** The tool's own name on its server. */
  originalName: string;
  serverName: string;
}

export type ToolDirectory = ReadonlyMap<string, ToolInfo>;

export interface McpAuthRequest {
  serverUrl: string;
  status: string;
  authorizationUrl?: string;
}

export type { QueueItem };

export function toChatMessage(m: ApiMessage): ChatMessage {
  return {
    id: m.id,
    role: m.role,
    parts: m.parts,
    metadata: { status: m.status, usage: m.usage, model: m.model, error: m.error, createdAt: m.createdAt },
  };
}
