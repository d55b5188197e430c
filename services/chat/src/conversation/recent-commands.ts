import { ActorClosedError } from './actor-command.js';

interface Entry {
  at: number;
  result: Promise<unknown>;
}

/**
 * The commands this replica's conversation owners ran lately, by command id: a command that reaches an owner twice
 * (forwarded again after its reply was lost, or delivered twice) gets the first run's outcome instead of running
 * again. Bounded in count and age; a command refused before it ran (the owner closed) is forgotten, so it may run on
 * the next owner.
 */
export class RecentCommands {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 120_000,
    private readonly now: () => number = Date.now,
  ) {}

  run<T>(commandId: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (!commandId) return fn();
    const now = this.now();
    this.evictExpired(now);
    const seen = this.entries.get(commandId);
    if (seen) return seen.result as Promise<T>;
    const result = fn();
    this.entries.set(commandId, { at: now, result });
    result.catch((err: unknown) => {
      if (err instanceof ActorClosedError && this.entries.get(commandId)?.result === result) this.entries.delete(commandId);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return result;
  }

  get size(): number {
    return this.entries.size;
  }

  private evictExpired(now: number): void {
    // Insertion order is age order: stop at the first entry still fresh.
    for (const [id, entry] of this.entries) {
      if (now - entry.at < this.ttlMs) break;
      this.entries.delete(id);
    }
  }
}
