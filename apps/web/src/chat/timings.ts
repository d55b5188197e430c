import { useEffect, useState } from 'react';

// Durations the browser measured itself (the API stores none): thinking, tool calls, a message's first token and
// total time. Kept by key across re-mounts (a list that renders only its tail), bounded.
const MAX_ENTRIES = 2_000;

interface Span {
  start: number;
  end?: number;
}

const spans = new Map<string, Span>();

function remember(key: string, span: Span) {
  spans.set(key, span);
  if (spans.size > MAX_ENTRIES) spans.delete(spans.keys().next().value as string);
}

export function markStart(key: string) {
  if (!spans.has(key)) remember(key, { start: performance.now() });
}

export function markEnd(key: string) {
  const span = spans.get(key);
  if (span && span.end === undefined) span.end = performance.now();
}

/** Milliseconds between the marks, when both were seen by this page. */
export function durationOf(key: string): number | undefined {
  const span = spans.get(key);
  return span?.end === undefined ? undefined : span.end - span.start;
}

/**
 * Measures how long something stays `active` while this page watches it: starts when first seen active, ends when it
 * stops being active. Something seen only finished (loaded from history) has no duration.
 */
export function useMeasuredDuration(key: string, active: boolean): number | undefined {
  if (active) markStart(key);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active && spans.has(key) && spans.get(key)!.end === undefined) {
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
