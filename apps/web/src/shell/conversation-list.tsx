import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, query } from '../api/client';
import type { Conversation, Page } from '../api/types';
import { useToasts } from '../app/toasts';
import { isUntitled, titleFromText } from './conversation-title';

/** Conversations fetched per page as the list scrolls. */
export const CONVERSATION_PAGE = 30;
/** The API's largest page: a refresh reloads what is shown in one request, up to this many. */
const MAX_PAGE = 200;

export interface ConversationList {
  /** Newest first; null until the first page arrives. */
  items: Conversation[] | null;
  /** The last load failed (its message was toasted); `refresh()` tries again. */
  failed: boolean;
  hasMore: boolean;
  loading: boolean;
  /** The next page (no-op while one is loading or when there is no more). */
  loadMore(): void;
  /** Reloads the list from the API (after something changed it elsewhere, e.g. a title the chat set). */
  refresh(): void;
  /** Puts a changed or new conversation in the list at once (no request). */
  changed(conversation: Pick<Conversation, 'id'> & Partial<Conversation>): void;
  create(harnessId: string): Promise<Conversation>;
  rename(id: string, title: string): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Names a still untitled conversation ("New conversation") after the first words of its first message, as other chat
   * apps do; a conversation the user named keeps its name. Errors are ignored (the title is a nicety).
   */
  titleFromFirstMessage(id: string, text: string): void;
}

const noop = () => undefined;
/** Outside the signed-in layout (a page rendered on its own): calls do nothing, so pages may call it freely. */
const detached: ConversationList = {
  items: null,
  failed: false,
  hasMore: false,
  loading: false,
  loadMore: noop,
  refresh: noop,
  changed: noop,
  create: () => Promise.reject(new Error('no conversation list')),
  rename: () => Promise.reject(new Error('no conversation list')),
  remove: () => Promise.reject(new Error('no conversation list')),
  titleFromFirstMessage: noop,
};

const ConversationListContext = createContext<ConversationList>(detached);

const byNewest = (a: Conversation, b: Conversation) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

/** The sidebar's conversations: paged newest first, and kept in step with what the app changes. */
export function ConversationListProvider({ children }: { children: ReactNode }) {
  const toasts = useToasts();
  const [items, setItems] = useState<Conversation[] | null>(null);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState(false);
  const inFlight = useRef<AbortController | null>(null);
  const shown = useRef(0);
  shown.current = items?.length ?? 0;

  const fetchPage = useCallback(
    (after: string | undefined, limit: number, replace: boolean) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      setLoading(true);
      api<Page<Conversation>>(`/v1/conversations${query({ limit, cursor: after })}`, { signal: controller.signal })
        .then((page) => {
          setItems((current) => {
            if (replace || !current) return page.items;
            const seen = new Set(current.map((c) => c.id));
            return [...current, ...page.items.filter((c) => !seen.has(c.id))];
          });
          setCursor(page.nextCursor ?? null);
          setFailed(false);
        })
        .catch((e: unknown) => {
          if ((e as Error).name === 'AbortError') return;
          toasts.error(e);
          setFailed(true);
          setCursor((c) => (replace ? c : null));
        })
        .finally(() => {
          if (inFlight.current === controller) {
            inFlight.current = null;
            setLoading(false);
          }
        });
    },
    [toasts],
  );

  const refresh = useCallback(() => fetchPage(undefined, Math.min(MAX_PAGE, Math.max(CONVERSATION_PAGE, shown.current)), true), [fetchPage]);

  useEffect(() => {
    refresh();
    return () => inFlight.current?.abort();
  }, [refresh]);

  // Another tab may have created, renamed or deleted some: catch up when this one is looked at again.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [refresh]);

  const loadMore = useCallback(() => {
    if (inFlight.current || typeof cursor !== 'string') return;
    fetchPage(cursor, CONVERSATION_PAGE, false);
  }, [cursor, fetchPage]);

  const changed = useCallback((c: Pick<Conversation, 'id'> & Partial<Conversation>) => {
    setItems((current) => {
      if (!current) return current;
      const i = current.findIndex((x) => x.id === c.id);
      if (i >= 0) return current.map((x) => (x.id === c.id ? { ...x, ...c } : x));
      if (!c.createdAt || !c.harnessId) return current;
      return [...current, c as Conversation].sort(byNewest);
    });
  }, []);

  const create = useCallback(
    async (harnessId: string) => {
      const c = await api<Conversation>('/v1/conversations', { method: 'POST', body: { harnessId } });
      changed(c);
      return c;
    },
    [changed],
  );

  const rename = useCallback(
    async (id: string, title: string) => {
      const c = await api<Conversation>(`/v1/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: { title } });
      changed(c);
    },
    [changed],
  );

  const remove = useCallback(async (id: string) => {
    try {
      await api(`/v1/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
    } catch (e) {
      // Already gone (deleted in another tab): the list just catches up.
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    setItems((current) => current?.filter((c) => c.id !== id) ?? current);
  }, []);

  const itemsRef = useRef(items);
  itemsRef.current = items;
  const titleFromFirstMessage = useCallback(
    (id: string, text: string) => {
      const known = itemsRef.current?.find((c) => c.id === id);
      const title = titleFromText(text);
      if (!title || (known && !isUntitled(known.title))) return;
      rename(id, title).catch(() => undefined);
    },
    [rename],
  );

  const value = useMemo<ConversationList>(
    () => ({ items, failed, hasMore: typeof cursor === 'string', loading, loadMore, refresh, changed, create, rename, remove, titleFromFirstMessage }),
    [items, failed, cursor, loading, loadMore, refresh, changed, create, rename, remove, titleFromFirstMessage],
  );
  return <ConversationListContext.Provider value={value}>{children}</ConversationListContext.Provider>;
}

/**
 * The sidebar's list. Pages may tell it what they changed: `changed({id, title})` after the chat learns a new title,
 * or `refresh()`; both are safe to call anywhere (outside the layout they do nothing).
 */
export function useConversationList(): ConversationList {
  return useContext(ConversationListContext);
}
