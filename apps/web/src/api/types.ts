// The API's resources as the app reads them (docs/api.md). Only what the app uses; extra fields are ignored.

export interface Me {
  id: string;
  name: string;
  email?: string;
  avatarUrl?: string;
  admin: boolean;
}

export interface LoginProvider {
  id: string;
  name: string;
}

export type DisplayMode = 'zen' | 'standard' | 'developer';

export interface Settings {
  displayMode: DisplayMode;
}

export type McpAuthType = 'none' | 'bearer' | 'oauth' | 'client_credentials';

export interface McpServer {
  id: string;
  name: string;
  url: string;
  authType: McpAuthType;
  hasAuthToken: boolean;
  clientId?: string;
  hasClientSecret?: boolean;
  hasPrivateKey?: boolean;
}

export type ReasoningEffort = 'low' | 'medium' | 'high';

export interface Harness {
  id: string;
  name: string;
  model: string;
  systemPrompt: string | null;
  reasoning: { effort: ReasoningEffort } | null;
  mcpServers: McpServer[];
  createdAt: string;
  updatedAt: string;
}

export interface QueueItem {
  id: string;
  content: string;
  createdAt: string;
}

export interface Conversation {
  id: string;
  harnessId: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
  activeRunId: string | null;
  queue: QueueItem[];
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  cost: number | null;
  source: 'provider' | 'estimated';
}

export interface Model {
  id: string;
  name: string;
  reasoning: boolean;
  pricing?: unknown;
}

export interface Tool {
  name: string;
  originalName: string;
  serverId: string;
  description?: string;
  inputSchema?: unknown;
}
