interface BackoffState {
  failures: number;
  until: number;
}

/** Per-server connect backoff: failures double the delay (from `initialMs` up to `maxMs`); a success clears it. */
export class ServerBackoff {
  private readonly states = new Map<string, BackoffState>();

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
  ) {}

  /** Milliseconds left before `serverUrl` may be tried again (0 when it may be tried now). */
  remainingMs(serverUrl: string, now = Date.now()): number {
    const state = this.states.get(serverUrl);
    return state ? Math.max(0, state.until - now) : 0;
  }

  recordFailure(serverUrl: string, now = Date.now()): number {
    const failures = (this.states.get(serverUrl)?.failures ?? 0) + 1;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** (failures - 1));
    this.states.set(serverUrl, { failures, until: now + delay });
    return delay;
  }

  recordSuccess(serverUrl: string): void {
    this.states.delete(serverUrl);
  }
}
