import type { ChatMessage } from './types';

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The API's list as the new useChat list, keeping the objects of messages that did not change (so their memoized
 * components do not re-render) and what only this page knew about them (the run id). A message still streaming is
 * left out: its run's stream is what shows it.
 */
export function mergeFromServer(current: readonly ChatMessage[], fresh: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  const out: ChatMessage[] = [];
  for (const f of fresh) {
    if (f.metadata?.status === 'streaming') continue;
    const old = byId.get(f.id);
    if (!old) {
      out.push(f);
      continue;
    }
    const metadata = { ...old.metadata, ...definedOnly(f.metadata ?? {}) };
    out.push(sameJson(old.parts, f.parts) && sameJson(old.metadata, metadata) ? old : { ...f, metadata });
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const sameList = (a: readonly ChatMessage[], b: readonly ChatMessage[]) => a.length === b.length && a.every((m, i) => m === b[i]);
