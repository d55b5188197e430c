import { useEffect, useRef, useState } from 'react';
import { useLocation, useRoute } from 'wouter';
import type { Conversation } from '../api/types';
import { routes } from '../app/App';
import { useToasts } from '../app/toasts';
import { ConversationItem } from './ConversationItem';
import { groupByAge } from './conversation-groups';
import { useConversationList } from './conversation-list';
import { DeleteConversationDialog } from './DeleteConversationDialog';

const headingId = (label: string) => `conversations-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

/** Loads the next page when the end of the list comes within this distance of view. */
const PRELOAD_MARGIN = '200px';

/** The conversations of the sidebar (inside its "Conversations" navigation): newest first, more as the end scrolls into view. */
export function ConversationNav() {
  const list = useConversationList();
  const { items, hasMore, loading, loadMore } = list;
  const toasts = useToasts();
  const [, params] = useRoute<{ conversationId: string }>('/c/:conversationId');
  const [, navigate] = useLocation();
  const currentId = params?.conversationId ?? null;
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const [deleting, setDeleting] = useState<Conversation | null>(null);

  // Observed anew after each page, so a sentinel still in view after a short page asks for the next one.
  useEffect(() => {
    const target = sentinel.current;
    if (!target || !hasMore) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), {
      root: scroller.current,
      rootMargin: PRELOAD_MARGIN,
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasMore, loadMore, items?.length]);

  const remove = async (c: Conversation) => {
    try {
      await list.remove(c.id);
      setDeleting(null);
      if (c.id === currentId) navigate(routes.home);
    } catch (e) {
      toasts.error(e);
    }
  };

  return (
    <div ref={scroller} className="conversation-nav" aria-busy={loading}>
      {items === null && list.failed ? (
        <p className="nav-note">
          The conversations could not be loaded.{' '}
          <button type="button" className="link-button" onClick={list.refresh}>
            Try again
          </button>
        </p>
      ) : items === null ? (
        <p className="nav-note">Loading…</p>
      ) : items.length === 0 ? (
        <p className="nav-note">No conversations yet.</p>
      ) : (
        groupByAge(items).map((group) => (
          <div key={group.label} className="conversation-group">
            <h2 id={headingId(group.label)} className="nav-heading">
              {group.label}
            </h2>
            <ul className="conversation-list" aria-labelledby={headingId(group.label)}>
              {group.items.map((c) => (
                <ConversationItem key={c.id} conversation={c} current={c.id === currentId} onDelete={setDeleting} />
              ))}
            </ul>
          </div>
        ))
      )}
      {hasMore && (
        <div ref={sentinel} className="nav-note" role="status">
          {loading ? 'Loading more…' : ''}
        </div>
      )}
      <DeleteConversationDialog conversation={deleting} onConfirm={remove} onClose={() => setDeleting(null)} />
    </div>
  );
}
