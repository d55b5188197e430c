/**
 * A per-key limit on work running at once (the per-MCP-server tool call cap): `acquire` resolves with a release
 * function when a slot is free, in arrival order, or rejects when `signal` aborts first.
 */
export class KeyedSlots {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly perKey: number) {}

  async acquire(key: string, signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if ((this.running.get(key) ?? 0) < this.perKey) {
      this.running.set(key, (this.running.get(key) ?? 0) + 1);
      return this.releaser(key);
    }
    await new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      this.waiting.set(key, queue);
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = queue.indexOf(wake);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0) this.waiting.delete(key);
        reject(signal.reason);
      };
      queue.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    // The slot was handed over by `release` without decrementing the count.
    return this.releaser(key);
  }

  /** Calls running for `key` right now. */
  inUse(key: string): number {
    return this.running.get(key) ?? 0;
  }

  private releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.waiting.get(key);
      const next = queue?.shift();
      if (queue && queue.length === 0) this.waiting.delete(key);
      // The slot passes straight to the next waiter, so the count does not dip and let a newcomer jump the queue.
      if (next) next();
      else {
        const n = (this.running.get(key) ?? 1) - 1;
        if (n === 0) this.running.delete(key);
        else this.running.set(key, n);
      }
    };
  }
}
