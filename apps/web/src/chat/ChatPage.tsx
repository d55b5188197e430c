import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { messageOf } from '../app/toasts';
import { arrivedPreload, forgetPreload, loadChat, type LoadedChat } from './load-chat';

export function ChatPage({ conversationId }: { conversationId: string }) {
  // Keyed by conversation (App.tsx): `conversationId` never changes for one instance.
  const [arrived] = useState(() => arrivedPreload(conversationId));
  const [state, setState] = useState<LoadedChat | { error: string; notFound: boolean } | null>(arrived);
  useEffect(() => {
    if (arrived) {
      forgetPreload(conversationId);
      return;
    }
    const controller = new AbortController();
    // The chat view's code is loaded with the data, not through React.lazy: a lazy component shows its Suspense
    // fallback first, and React then holds the content back for up to 300 ms after that fallback.
    loadChat(conversationId, controller.signal)
      .then((loaded) => {
        if (controller.signal.aborted) return;
        forgetPreload(conversationId);
        setState(loaded);
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError' || controller.signal.aborted) return;
        setState({ error: messageOf(e), notFound: e instanceof ApiError && e.status === 404 });
      });
    return () => controller.abort();
  }, [conversationId, arrived]);

  if (!state) return <ChatLoading />;
  if ('error' in state) {
    return (
      <div className="page-error">
        <h1>{state.notFound ? 'Conversation not found' : 'The conversation could not be loaded'}</h1>
        <p>{state.notFound ? 'It may have been deleted, or it belongs to someone else.' : state.error}</p>
      </div>
    );
  }
  const { ChatView } = state;
  return <ChatView conversation={state.conversation} initialMessages={state.messages} />;
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
