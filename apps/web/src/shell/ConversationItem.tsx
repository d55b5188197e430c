import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../api/client';
import type { Conversation } from '../api/types';
import { routes } from '../app/App';
import { useToasts } from '../app/toasts';
import { useConversationList } from './conversation-list';
import { titleOf } from './conversation-title';
import { PencilIcon, TrashIcon } from './icons';

const MAX_TITLE = 500;

interface Props {
  conversation: Conversation;
  current: boolean;
  onDelete(conversation: Conversation): void;
}

/** One conversation of the sidebar: a link, and rename (inline: Enter saves, Esc cancels) and delete buttons. */
export function ConversationItem({ conversation, current, onDelete }: Props) {
  const { rename, refresh } = useConversationList();
  const toasts = useToasts();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  /** Set once the edit ended (saved or cancelled), so the blur that follows does not save again. */
  const ended = useRef(false);
  const title = titleOf(conversation);

  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  const startEditing = () => {
    ended.current = false;
    setDraft(conversation.title ?? '');
    setEditing(true);
  };

  const finish = (refocus: boolean) => {
    ended.current = true;
    setEditing(false);
    if (refocus) requestAnimationFrame(() => renameButton.current?.focus());
  };

  const save = async (refocus: boolean) => {
    if (ended.current) return;
    const next = draft.trim();
    if (!next || next === conversation.title) return finish(refocus);
    ended.current = true;
    setSaving(true);
    try {
      await rename(conversation.id, next);
      finish(refocus);
    } catch (e) {
      toasts.error(e);
      if (e instanceof ApiError && e.status === 404) {
        finish(false);
        refresh();
      } else {
        ended.current = false;
        input.current?.focus();
      }
    } finally {
      setSaving(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void save(true);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      finish(true);
    }
  };

  if (editing) {
    return (
      <li className="conversation-item editing">
        <input
          ref={input}
          className="conversation-rename"
          aria-label="Conversation title"
          value={draft}
          maxLength={MAX_TITLE}
          disabled={saving}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={() => void save(false)}
        />
      </li>
    );
  }

  return (
    <li className={`conversation-item${current ? ' current' : ''}`}>
      <Link href={routes.conversation(conversation.id)} className="conversation-link" aria-current={current ? 'page' : undefined} title={title}>
        {title}
      </Link>
      <span className="conversation-actions">
        <button ref={renameButton} type="button" className="icon-button" aria-label={`Rename ${title}`} title="Rename" onClick={startEditing}>
          <PencilIcon />
        </button>
        <button type="button" className="icon-button" aria-label={`Delete ${title}`} title="Delete" onClick={() => onDelete(conversation)}>
          <TrashIcon />
        </button>
      </span>
    </li>
  );
}
