import type { Conversation } from '../api/types';
import { loadConversation, loadMessages } from './conversation-api';
import type { ChatMessage } from './types';

// The chat (AI SDK, markdown) is its own chunk: the sign-in page and the rest of the app do not load it. A conversation
// page needs it together with the conversation and its messages; all three load at once, and on a /c/ URL they start
// before the app has even asked who is signed in (`preloadChat`, from main.tsx).

const importChatView = () => import('./ChatView');

export interface LoadedChat {
  conversation: Conversation;
  messages: ChatMessage[];
  ChatView: Awaited<ReturnType<typeof importChatView>>['default'];
}

/** A preload this old is not used: it was meant for the app's first render, not a later visit of the same page. */
const PRELOAD_FRESH_MS = 10_000;
const CONVERSATION_PATH = /^\/c\/([^/]+)\/?$/;

let preloaded: { conversationId: string; at: number; result: Promise<LoadedChat>; value?: LoadedChat } | null = null;

async function load(conversationId: string, options: { signal?: AbortSignal; quiet401?: boolean }): Promise<LoadedChat> {
  const [conversation, messages, view] = await Promise.all([
    loadConversation(conversationId, options),
    loadMessages(conversationId, options),
    importChatView(),
  ]);
  // A run in progress is rebuilt from its stream (useChat's resume), not from its stored partial message.
  const shown = conversation.activeRunId ? messages.filter((m) => m.metadata?.status !== 'streaming') : messages;
  return { conversation, messages: shown, ChatView: view.default };
}

/** On a conversation's URL, starts loading it and the chat's code (a 401 is left to the session check to announce). */
export function preloadChat(pathname: string): void {
  const match = CONVERSATION_PATH.exec(pathname);
  if (!match) return;
  let conversationId: string;
  try {
    conversationId = decodeURIComponent(match[1]!);
  } catch {
    return;
  }
  const entry: NonNullable<typeof preloaded> = { conversationId, at: performance.now(), result: load(conversationId, { quiet401: true }) };
  entry.result.then((value) => (entry.value = value), () => undefined);
  preloaded = entry;
}

const freshPreload = (conversationId: string) => {
  const p = preloaded;
  return p && p.conversationId === conversationId && performance.now() - p.at < PRELOAD_FRESH_MS ? p : null;
};

/** The preload of this conversation if it has already arrived: the page then shows it in its first render. */
export const arrivedPreload = (conversationId: string): LoadedChat | null => freshPreload(conversationId)?.value ?? null;

/** The conversation, its messages and the chat view: the preload when there is a fresh one for it, else a new load. */
export function loadChat(conversationId: string, signal: AbortSignal): Promise<LoadedChat> {
  const p = freshPreload(conversationId);
  if (p) {
    // A failed preload (e.g. the session was not there yet) is retried, so its error is the one a load would give.
    return p.result.catch(() => load(conversationId, { signal }));
  }
  return load(conversationId, { signal });
}

/** Once the page has shown a preload, later visits load anew. */
export function forgetPreload(conversationId: string): void {
  if (preloaded?.conversationId === conversationId) preloaded = null;
}
