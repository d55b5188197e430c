import type { Conversation } from '../api/types';

const UNTITLED = 'New conversation';

/** What the list shows for a conversation: its title, or "New conversation" while it has none. */
export function titleOf(c: Pick<Conversation, 'title'>): string {
  const t = c.title?.trim();
  return t ? t : UNTITLED;
}

/** True while a conversation has no name of its own (the API names new ones "New conversation"). */
export function isUntitled(title: string | null | undefined): boolean {
  const t = title?.trim();
  return !t || t === UNTITLED;
}

const TITLE_WORDS = 8;
const TITLE_CHARS = 60;

/** The first words of a message as a title: markdown marks and line breaks dropped, at most 8 words or 60 characters. */
export function titleFromText(text: string): string {
  const words = text
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .replace(/[#>*_`~|]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, TITLE_WORDS);
  let title = words.join(' ');
  if (title.length > TITLE_CHARS) title = `${title.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
  return title;
}
