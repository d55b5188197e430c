import type { Conversation } from '../api/types';

export interface ConversationGroup {
  label: string;
  items: Conversation[];
}

const DAY = 86_400_000;

/** "Today", "Yesterday", "Previous 7 days", "Previous 30 days", then month by month: the list is newest first. */
export function groupByAge(items: readonly Conversation[], now: Date = new Date()): ConversationGroup[] {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const month = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });
  const labelOf = (iso: string): string => {
    const t = Date.parse(iso);
    if (t >= startOfToday) return 'Today';
    if (t >= startOfToday - DAY) return 'Yesterday';
    if (t >= startOfToday - 7 * DAY) return 'Previous 7 days';
    if (t >= startOfToday - 30 * DAY) return 'Previous 30 days';
    return month.format(new Date(t));
  };
  const groups: ConversationGroup[] = [];
  for (const c of items) {
    const label = labelOf(c.createdAt);
    const last = groups[groups.length - 1];
    if (last?.label === label) last.items.push(c);
    else groups.push({ label, items: [c] });
  }
  return groups;
}
