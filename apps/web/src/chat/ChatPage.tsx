import { lazy, Suspense, useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import type { Conversation } from '../api/types';
import { messageOf } from '../app/toasts';
import { loadConversation, loadMessages } from './conversation-api';
import type { ChatMessage } from './types';

// The chat (AI SDK, markdown) is its own chunk: the sign-in page and the rest of the app do not load it.
const ChatView = lazy(() => import('./ChatView'));

type Loaded = { conversation: Conversation; messages: ChatMessage[] };

export function ChatPage({ conversationId }: { conversationId: string }) {
  const [state, setState] = useState<Loaded | { error: string; notFound: boolean } | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    Promise.all([loadConversation(conversationId, controller.signal), loadMessages(conversationId, controller.signal)])
      .then(([conversation, messages]) => {
        // A run in progress is rebuilt from its stream (useChat's resume), not from its stored partial message.
        const shown = conversation.activeRunId ? messages.filter((m) => m.metadata?.status !== 'streaming') : messages;
        setState({ conversation, messages: shown });
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setState({ error: messageOf(e), notFound: e instanceof ApiError && e.status === 404 });
      });
    return () => controller.abort();
  }, [conversationId]);

  if (!state) return <ChatLoading />;
  if ('error' in state) {
    return (
      <div className="page-error">
        <h1>{state.notFound ? 'Conversation not found' : 'The conversation could not be loaded'}</h1>
        <p>{state.notFound ? 'It may have been deleted, or it belongs to someone else.' : state.error}</p>
      </div>
    );
  }
  return (
    <Suspense fallback={<ChatLoading />}>
      <ChatView conversation={state.conversation} initialMessages={state.messages} />
    </Suspense>
  );
}

/** While the conversation or its code loads; the page has its level-one heading even then. */
function ChatLoading() {
  return (
    <div className="page-loading">
      <h1 className="visually-hidden">Conversation</h1>
      <p role="status">Loading the conversation…</p>
    </div>
  );
}
