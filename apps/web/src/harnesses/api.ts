// The REST calls of the harness list and editor (docs/api.md "Harnesses", "MCP OAuth", "Settings, usage, models").
import { api, query } from '../api/client';
import type { Harness, McpAuthType, Model, Page, ReasoningEffort, Tool } from '../api/types';

export interface McpServerInput {
  id?: string;
  name: string;
  url: string;
  authType: McpAuthType;
  authToken?: string;
  clientId?: string;
  clientSecret?: string;
  privateKeyPem?: string;
}

export interface HarnessInput {
  name: string;
  model: string;
  systemPrompt: string;
  reasoning: { effort: ReasoningEffort } | null;
  mcpServers: McpServerInput[];
}

export interface ToolListingError {
  serverId: string;
  serverName: string;
  message: string;
  authRequired?: { serverUrl: string; authorizationUrl?: string };
}

export interface ToolListing {
  items: Tool[];
  errors: ToolListingError[];
}

export type OAuthStatus = 'connected' | 'disconnected' | 'expired' | 'error';

export interface OAuthConnection {
  status: OAuthStatus;
  scopes?: string[];
  expiresAt?: string;
}

export interface OAuthStart {
  authorizationUrl: string;
  nonce: string;
  /** Present when the server was connected at once (Cross-App Access): no popup needed. */
  status?: 'connected';
}

/** The list shows at most this many harnesses (the API's default cap per page is 100). */
const HARNESS_LIST_LIMIT = 200;
/** Pages of tools followed at most (500 tools each). */
const MAX_TOOL_PAGES = 4;

const harnessPath = (id: string) => `/v1/harnesses/${encodeURIComponent(id)}`;

export const harnessApi = {
  list: (signal?: AbortSignal) => api<Page<Harness>>(`/v1/harnesses${query({ limit: HARNESS_LIST_LIMIT })}`, { signal }),
  get: (id: string, signal?: AbortSignal) => api<Harness>(harnessPath(id), { signal }),
  create: (body: HarnessInput) => api<Harness>('/v1/harnesses', { method: 'POST', body }),
  update: (id: string, body: HarnessInput) => api<Harness>(harnessPath(id), { method: 'PATCH', body }),
  remove: (id: string) => api<void>(harnessPath(id), { method: 'DELETE' }),
  models: (signal?: AbortSignal) => api<{ items: Model[] }>('/v1/models', { signal }),

  async tools(id: string, signal?: AbortSignal): Promise<ToolListing> {
    const items: Tool[] = [];
    let errors: ToolListingError[] = [];
    let cursor: string | null | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const res = await api<ToolListing & { nextCursor?: string | null }>(`${harnessPath(id)}/tools${query({ limit: 500, cursor })}`, { signal });
      items.push(...res.items);
      errors = res.errors;
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    return { items, errors };
  },
};

export const oauthApi = {
  status: (serverUrl: string, signal?: AbortSignal) => api<OAuthConnection>(`/v1/mcp/oauth/status${query({ serverUrl })}`, { signal }),
  start: (serverUrl: string) => api<OAuthStart>('/v1/mcp/oauth/start', { method: 'POST', body: { serverUrl } }),
  disconnect: (serverUrl: string) => api<void>(`/v1/mcp/oauth/connection${query({ serverUrl })}`, { method: 'DELETE' }),
};
