export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** Named in the timeout error. */
  description?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `fn` until it returns (or resolves to) a value other than `false`, `null` or `undefined`, and returns
 * that value. A throw counts as "not yet". When the deadline passes, throws an Error naming the last error or value.
 * Assertion-style callers return true at the end: `waitFor(() => { expect(x).toBe(1); return true; })`.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last: { error: unknown } | { value: unknown } | undefined;
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value !== false && value !== null && value !== undefined) return value as Exclude<T, false | null | undefined>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(intervalMs, remaining));
  }
  const what = opts.description ? ` for ${opts.description}` : '';
  const detail =
    last && 'error' in last
      ? `last error: ${last.error instanceof Error ? last.error.message : String(last.error)}`
      : `last value: ${describe(last?.value)}`;
  throw new Error(
    `waitFor${what} timed out after ${timeoutMs} ms (${attempts} attempts); ${detail}`,
    last && 'error' in last ? { cause: last.error } : undefined,
  );
}

function describe(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 500 ? `${s.slice(0, 500)}…` : s;
  } catch {
    return String(value);
  }
}
