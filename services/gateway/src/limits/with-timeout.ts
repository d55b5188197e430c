/** Rejects when `p` has not settled within `ms` (a Redis that hangs must not hold a request up). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A warning at most once per `everyMs`: a Redis outage must not flood the log with one line per request. */
export function throttledWarning(everyMs: number): (log: () => void) => void {
  let last = -Infinity;
  return (log) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    log();
  };
}
