interface BackoffState {
  failures: number;
  until: number;
}

/**
 * Connect backoff per key (a server URL, or one user's session key for a refused credential): failures double the
 * delay (from `initialMs` up to `maxMs`); a success clears it. Keys come from users (any URL, any credential), so the
 * map is bounded: a key whose delay ended more than `maxMs` ago is forgotten (its failure count starts over), and at
 * `maxEntries` the key that failed longest ago makes room.
 */
export class ServerBackoff {
  /** In order of last failure (a failure moves its key to the end). */
  private readonly states = new Map<string, BackoffState>();

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** Milliseconds left before `key` may be tried again (0 when it may be tried now). */
  remainingMs(key: string, now = Date.now()): number {
    const state = this.states.get(key);
    return state ? Math.max(0, state.until - now) : 0;
  }

  recordFailure(key: string, now = Date.now()): number {
    const previous = this.states.get(key);
    const failures = (previous && !this.forgotten(previous, now) ? previous.failures : 0) + 1;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** (failures - 1));
    this.states.delete(key);
    if (this.states.size >= this.maxEntries) this.sweep(now);
    while (this.states.size >= this.maxEntries) {
      const oldest = this.states.keys().next().value;
      if (oldest === undefined) break;
      this.states.delete(oldest);
    }
    this.states.set(key, { failures, until: now + delay });
    return delay;
  }

  recordSuccess(key: string): void {
    this.states.delete(key);
  }

  /** Forgets every key whose delay ended more than `maxMs` ago. */
  sweep(now = Date.now()): void {
    for (const [key, state] of this.states) if (this.forgotten(state, now)) this.states.delete(key);
  }

  get size(): number {
    return this.states.size;
  }

  private forgotten(state: BackoffState, now: number): boolean {
    return state.until + this.maxMs <= now;
  }
}
