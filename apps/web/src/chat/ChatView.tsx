import { startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, generateId } from 'ai';
import { api, CLIENT_HEADERS } from '../api/client';
import type { Conversation } from '../api/types';
import { useSettings } from '../app/settings';
import { useToasts } from '../app/toasts';
import { Composer } from './Composer';
import { conversationPath, loadMessages, loadToolDirectory } from './conversation-api';
import { useConversationEvents } from './conversation-events';
import { httpErrorOf, isNetworkError } from './errors';
import { McpAuthNotice } from './McpAuthNotice';
import { MessageItem, textOfMessage } from './MessageItem';
import { TypingIndicator } from './parts/TypingIndicator';
import { QueueList } from './QueueList';
import { RegenerateContext } from './regenerate';
import { mergeFromServer, sameList } from './reconcile';
import type { ChatMessage, McpAuthRequest, QueueItem, ToolDirectory } from './types';
import { formatCost, formatTokens, sumUsage } from './usage';
import './chat.css';

/** Messages rendered at first (the newest); older ones on request. */
const PAGE_SIZE = 100;
/**
 * Of those, the newest few are mounted with the page (enough to fill a screen) and the rest in batches in the
 * background, each a short transition: a 100-message page in one render blocked the main thread for ~0.3 s.
 */
const FIRST_MOUNT = 6;
const MOUNT_BATCH = 8;
const MAX_HISTORY = 100;
const MAX_AUTH_REQUESTS = 10;
const NO_TOOLS: ToolDirectory = new Map();
/** How long a queued send waits at most for this tab's own send before it to reach the server. */
const SEND_LANDING_TIMEOUT_MS = 10_000;

export interface ChatViewProps {
  conversation: Conversation;
  initialMessages: ChatMessage[];
}

export default function ChatView({ conversation, initialMessages }: ChatViewProps) {
  const conversationId = conversation.id;
  const path = conversationPath(conversationId);
  const { displayMode } = useSettings();
  const toasts = useToasts();
  const [queue, setQueue] = useState<QueueItem[]>(conversation.queue ?? []);
  const [authRequests, setAuthRequests] = useState<McpAuthRequest[]>([]);
  const [draft, setDraft] = useState<{ text: string; at: number } | null>(null);
  const [tools, setTools] = useState<ToolDirectory>(NO_TOOLS);
  const [shown, setShown] = useState(PAGE_SIZE);
  const [mounted, setMounted] = useState(FIRST_MOUNT);
  useEffect(() => {
    if (mounted >= shown) return;
    const timer = window.setTimeout(() => startTransition(() => setMounted((n) => Math.min(shown, n + MOUNT_BATCH))), 0);
    return () => window.clearTimeout(timer);
  }, [mounted, shown]);
  const lastSent = useRef<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    // A transition: the new directory re-renders every message, in slices, not in one long task.
    loadToolDirectory(conversation.harnessId, controller.signal).then((directory) => startTransition(() => setTools(directory)), () => undefined);
    return () => controller.abort();
  }, [conversation.harnessId]);

  const onMcpAuth = useCallback((r: McpAuthRequest) => {
    if (!r?.serverUrl) return;
    setAuthRequests((list) => (r.status === 'required' ? [...list.filter((x) => x.serverUrl !== r.serverUrl), r].slice(-MAX_AUTH_REQUESTS) : list.filter((x) => x.serverUrl !== r.serverUrl)));
  }, []);
  const onDataPart = useCallback(
    (part: { type: string; id?: string; data?: unknown }) => {
      if (part.type === 'data-queue') setQueue(((part.data as { items?: QueueItem[] })?.items ?? []).slice(0, 200));
      else if (part.type === 'data-mcp-auth') onMcpAuth(part.data as McpAuthRequest);
    },
    [onMcpAuth],
  );

  // useChat keeps its first options: callbacks reach the current render through this ref.
  const handlers = useRef({ onError: (_e: Error) => {}, onFinish: () => {}, onData: onDataPart });
  const transport = useMemo(
    () =>
      new DefaultChatTransport<ChatMessage>({
        api: '/v1/chat',
        headers: { ...CLIENT_HEADERS },
        credentials: 'same-origin',
        // The API reads only the last user message (or regenerates `messageId`): the rest of a long conversation
        // would be serialized and uploaded for nothing.
        prepareSendMessagesRequest: ({ id, messages, body, trigger, messageId }) => ({
          body: { ...body, id, messages: messages.slice(-1), trigger, messageId },
        }),
      }),
    [],
  );
  const chat = useChat<ChatMessage>({
    id: conversationId,
    messages: initialMessages,
    transport,
    resume: true,
    experimental_throttle: 50,
    onError: (e) => handlers.current.onError(e),
    onFinish: () => handlers.current.onFinish(),
    onData: (part) => handlers.current.onData(part as { type: string; id?: string; data?: unknown }),
  });
  const chatBusy = chat.status === 'submitted' || chat.status === 'streaming';

  const messagesRef = useRef(chat.messages);
  messagesRef.current = chat.messages;
  const knownIds = useMemo(() => new Set(chat.messages.map((m) => m.id)), [chat.messages]);
  const knownRef = useRef(knownIds);
  knownRef.current = knownIds;

  // After a run ends, the API's list is the truth (statuses, usage, server ids); applied while useChat is idle.
  const [reconcileWanted, setReconcileWanted] = useState(0);
  const requestReconcile = useCallback(() => setReconcileWanted((n) => n + 1), []);
  const statusRef = useRef(chat.status);
  statusRef.current = chat.status;
  useEffect(() => {
    if (reconcileWanted === 0 || chatBusy) return;
    const controller = new AbortController();
    loadMessages(conversationId, { signal: controller.signal })
      .then((fresh) => {
        if (statusRef.current === 'submitted' || statusRef.current === 'streaming') return;
        const merged = mergeFromServer(messagesRef.current, fresh);
        if (!sameList(merged, messagesRef.current)) chat.setMessages(merged);
      })
      .catch((e: unknown) => toasts.error(e));
    return () => controller.abort();
    // chat.setMessages is stable per chat; the effect runs for each request and when useChat becomes idle.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reconcileWanted, chatBusy, conversationId, toasts]);

  const events = useConversationEvents(conversationId, {
    isKnown: (id) => knownRef.current.has(id),
    onQueue: setQueue,
    onMcpAuth,
    onRunEnded: requestReconcile,
    onForeignRunError: (text) => toasts.error(new Error(text)),
    onConnection: (connected) => {
      if (!connected) return toasts.error(new Error('The connection to Harness was lost. Reconnecting…'));
      toasts.info('Reconnected.');
      requestReconcile();
    },
  });
  const runActive = chatBusy || events.activeRunId !== null;

  handlers.current = {
    onData: onDataPart,
    onFinish: requestReconcile,
    onError: (e: Error) => {
      const http = httpErrorOf(e);
      if (http) {
        // Refused before anything ran (a limit, the budget…): the message was not sent; its text goes back to the box.
        const list = messagesRef.current;
        const last = list[list.length - 1];
        if (last?.role === 'user' && lastSent.current !== null && textOfMessage(last) === lastSent.current) {
          chat.setMessages(list.slice(0, -1));
          setDraft({ text: lastSent.current, at: Date.now() });
        }
        toasts.error(http);
      } else if (isNetworkError(e)) {
        toasts.error(new Error('The connection was lost. The answer goes on on the server; it shows here again once the connection is back.'));
      } else {
        toasts.error(new Error(e.message || 'The run failed.'));
      }
      chat.clearError();
      requestReconcile();
    },
  };

  const visible = useMemo(() => {
    const extra = events.overlay.filter((m) => !knownIds.has(m.id));
    const all = extra.length ? [...chat.messages, ...extra] : chat.messages;
    return events.replacedIds.size ? all.filter((m) => !events.replacedIds.has(m.id)) : all;
  }, [chat.messages, events.overlay, events.replacedIds, knownIds]);

  const history = useMemo(
    () => visible.filter((m) => m.role === 'user').map(textOfMessage).filter((t) => t.trim() !== '').slice(-MAX_HISTORY),
    [visible],
  );
  const total = useMemo(() => sumUsage(visible), [visible]);

  // A message sent while this tab's own send is still on its way (useChat "submitted", no run seen yet) waits for it
  // to land: else it could reach the server first and run before the message it was meant to follow.
  const ownSendInFlight = chat.status === 'submitted' && events.activeRunId === null;
  const inFlightRef = useRef(ownSendInFlight);
  inFlightRef.current = ownSendInFlight;
  const waiters = useRef<(() => void)[]>([]);
  useEffect(() => {
    if (ownSendInFlight) return;
    const list = waiters.current;
    waiters.current = [];
    for (const resolve of list) resolve();
  }, [ownSendInFlight]);
  const untilOwnSendLanded = () =>
    inFlightRef.current
      ? new Promise<void>((resolve) => {
          waiters.current.push(resolve);
          window.setTimeout(resolve, SEND_LANDING_TIMEOUT_MS);
        })
      : Promise.resolve();
  /** Queued sends go one after the other, in the order they were typed. */
  const sendChain = useRef<Promise<unknown>>(Promise.resolve());

  const postMessage = async (text: string): Promise<boolean> => {
    try {
      const r = await api<{ status: 'started' | 'queued'; queueItemId?: string }>(`${path}/messages`, {
        method: 'POST',
        body: { content: text, clientMessageId: generateId() },
      });
      if (r.status === 'queued' && r.queueItemId) {
        const item = { id: r.queueItemId, content: text, createdAt: new Date().toISOString() };
        setQueue((q) => (q.some((i) => i.id === item.id) ? q : [...q, item]));
      }
      return true;
    } catch (e) {
      toasts.error(e);
      return false;
    }
  };

  const send = async (text: string): Promise<boolean> => {
    if (runActive) {
      const result = sendChain.current.then(async () => {
        await untilOwnSendLanded();
        return postMessage(text);
      });
      sendChain.current = result.catch(() => undefined);
      return result;
    }
    lastSent.current = text;
    stickToBottom.current = true;
    void chat.sendMessage({ text });
    return true;
  };

  const stop = () => {
    api(`${path}/interrupt`, { method: 'POST' }).catch((e: unknown) => toasts.error(e));
  };
  const sendNow = (itemId: string) => {
    api(`${path}/queue/${encodeURIComponent(itemId)}/send-now`, { method: 'POST' }).catch((e: unknown) => toasts.error(e));
  };
  const remove = (itemId: string) => {
    setQueue((q) => q.filter((i) => i.id !== itemId));
    api(`${path}/queue/${encodeURIComponent(itemId)}`, { method: 'DELETE' }).catch((e: unknown) => {
      toasts.error(e);
      requestReconcile();
    });
  };
  const regenerate = useCallback(
    (messageId: string) => {
      stickToBottom.current = true;
      void chat.regenerate({ messageId });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [chat.regenerate],
  );

  // Follow the answer while the person is at the bottom; leave them where they are when they scrolled up.
  const endRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  useEffect(() => {
    const end = endRef.current;
    if (!end) return;
    const observer = new IntersectionObserver(([entry]) => (stickToBottom.current = entry!.isIntersecting), { rootMargin: '0px 0px 160px 0px' });
    observer.observe(end);
    return () => observer.disconnect();
  }, []);
  // Once per frame at most, in the frame's own layout: scrolling in the commit forced a layout on every streamed update.
  // Requested in the commit (a layout effect), so the frame scrolls before the observer above looks at it. The first
  // time, at once: the page's first frame shows the end of the conversation.
  const scrollFrame = useRef(0);
  const scrolledOnce = useRef(false);
  useLayoutEffect(() => {
    if (!stickToBottom.current || scrollFrame.current) return;
    if (!scrolledOnce.current) {
      scrolledOnce.current = true;
      endRef.current?.scrollIntoView({ block: 'end' });
      return;
    }
    scrollFrame.current = requestAnimationFrame(() => {
      scrollFrame.current = 0;
      if (stickToBottom.current) endRef.current?.scrollIntoView({ block: 'end' });
    });
  }, [visible, queue.length, mounted]);
  useEffect(() => () => cancelAnimationFrame(scrollFrame.current), []);

  const lastChatMessage = chat.messages[chat.messages.length - 1];
  const liveId = chat.status === 'streaming' && lastChatMessage?.role === 'assistant' ? lastChatMessage.id : null;
  const firstShown = Math.max(0, visible.length - shown);
  const firstMounted = Math.max(firstShown, visible.length - mounted);
  const waiting = chat.status === 'submitted' && lastChatMessage?.role === 'user';

  return (
    <div className="chat" data-display-mode={displayMode}>
      <header className="chat-header">
        <h1 className="chat-title">{conversation.title ?? 'Conversation'}</h1>
        {displayMode !== 'zen' && total.messages > 0 ? (
          <p className="chat-total" aria-label="Conversation usage">
            {formatTokens(total.totalTokens)}
            {formatCost(total.cost) ? ` · ${formatCost(total.cost)}` : ''}
          </p>
        ) : null}
      </header>
      <RegenerateContext.Provider value={runActive ? null : regenerate}>
        <section className="chat-log" aria-label="Messages">
          {firstShown > 0 ? (
            <button type="button" className="chat-action show-earlier" onClick={() => setShown((n) => n + PAGE_SIZE)}>
              Show earlier messages ({firstShown})
            </button>
          ) : null}
          {visible.length === 0 ? <p className="chat-empty">Send a message to start.</p> : null}
          {visible.slice(firstMounted).map((m) => (
            <MessageItem
              key={m.id}
              message={m}
              conversationId={conversationId}
              streaming={m.id === liveId || m.id === events.streamingMessageId}
              displayMode={displayMode}
              tools={tools}
              regenerable={knownIds.has(m.id)}
            />
          ))}
          {waiting ? <TypingIndicator label="Waiting for the answer…" standalone /> : null}
          <div ref={endRef} className="chat-end" />
        </section>
      </RegenerateContext.Provider>
      <div className="chat-dock">
        <McpAuthNotice requests={authRequests} harnessId={conversation.harnessId} onDismiss={(url) => setAuthRequests((l) => l.filter((r) => r.serverUrl !== url))} />
        <QueueList items={queue} onSendNow={sendNow} onRemove={remove} />
        <Composer history={history} runActive={runActive} onSend={send} onStop={stop} draft={draft} />
      </div>
    </div>
  );
}
