import type { Conversation } from '../api/types';

const UNTITLED = 'New conversation';

/** What the list shows for a conversation: its title, or "New conversation" while it has none. */
export function titleOf(c: Pick<Conversation, 'title'>): string {
  const t = c.title?.trim();
  return t ? t : UNTITLED;
}
