import { api, type RequestOptions } from '../api/client';
import type { Conversation, Harness, Page, Tool } from '../api/types';
import { toChatMessage, type ApiMessage, type ChatMessage, type ToolDirectory } from './types';

/** Pages followed at most: 10 × 500 messages. A longer conversation shows its first 5,000 messages. */
const MAX_MESSAGE_PAGES = 10;

export const conversationPath = (id: string) => `/v1/conversations/${encodeURIComponent(id)}`;

/** Every visible message of the conversation, oldest first. */
export async function loadMessages(conversationId: string, options: Pick<RequestOptions, 'signal' | 'quiet401'> = {}): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < MAX_MESSAGE_PAGES; page++) {
    const q = `?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await api<Page<ApiMessage>>(`${conversationPath(conversationId)}/messages${q}`, options);
    for (const m of res.items) all.push(toChatMessage(m));
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return all;
}

export const loadConversation = (id: string, options: Pick<RequestOptions, 'signal' | 'quiet401'> = {}) =>
  api<Conversation>(conversationPath(id), options);

/** Tool name → server, from the harness's tool listing (best effort: the chat works without it). */
export async function loadToolDirectory(harnessId: string, signal?: AbortSignal): Promise<ToolDirectory> {
  const path = `/v1/harnesses/${encodeURIComponent(harnessId)}`;
  const [harness, tools] = await Promise.all([
    api<Harness>(path, { signal }),
    api<Page<Tool>>(`${path}/tools`, { signal }),
  ]);
  const serverNames = new Map(harness.mcpServers.map((s) => [s.id, s.name]));
  return new Map(tools.items.map((t) => [t.name, { originalName: t.originalName, serverName: serverNames.get(t.serverId) ?? '' }]));
}
