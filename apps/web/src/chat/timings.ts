import { useEffect, useState } from 'react';

// Durations the browser measured itself (the API stores none): thinking, tool calls, a message's first token and
// total time. Spans in progress live in memory; finished durations are also kept in sessionStorage, so a reload of
// the tab still shows them. Both are bounded.
const MAX_SPANS = 2_000;
const MAX_STORED = 500;
const STORAGE_KEY = 'harness.chat.durations';

interface Span {
  start: number;
  end?: number;
}

const spans = new Map<string, Span>();
const finished = new Map<string, number>(readStored());

function readStored(): [string, number][] {
  try {
    const raw = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(raw) ? raw.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number') : [];
  } catch {
    return [];
  }
}

function store(key: string, ms: number) {
  finished.set(key, ms);
  while (finished.size > MAX_STORED) finished.delete(finished.keys().next().value as string);
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify([...finished]));
  } catch {
    // storage full or refused: the durations stay in memory
  }
}

function markStart(key: string) {
  if (spans.has(key) || finished.has(key)) return;
  spans.set(key, { start: performance.now() });
  if (spans.size > MAX_SPANS) spans.delete(spans.keys().next().value as string);
}

function markEnd(key: string) {
  const span = spans.get(key);
  if (!span || span.end !== undefined) return;
  span.end = performance.now();
  store(key, span.end - span.start);
}

/** Milliseconds between the marks, when this tab saw both. */
function durationOf(key: string): number | undefined {
  return finished.get(key);
}

/**
 * Measures how long something stays `active` while this tab watches it: starts when first seen active, ends when it
 * stops being active. Something seen only finished (history loaded in another tab) has no duration.
 */
export function useMeasuredDuration(key: string, active: boolean): number | undefined {
  if (active) markStart(key);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active && spans.get(key)?.end === undefined && spans.has(key)) {
      markEnd(key);
      setTick((n) => n + 1);
    }
  }, [key, active]);
  return durationOf(key);
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
