import { encodeNameCursor, type ListToolsResult } from '@harness/contracts';

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * One page of a listing, ordered by tool name (unique within a harness; code-unit order, so a page does not depend on
 * the order the servers answered in); `errors` are on every page. `after`: the name the previous page ended with.
 */
export function toolPage(listed: ListToolsResult, limit: number, after: string | undefined): ListToolsResult & { nextCursor: string | null } {
  const sorted = [...listed.items].sort(byName).filter((t) => after === undefined || t.name > after);
  const page = sorted.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page, errors: listed.errors, nextCursor: sorted.length > limit && last ? encodeNameCursor(last.name) : null };
}
