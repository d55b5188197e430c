import type { ListToolsResult } from '@harness/contracts';

interface CacheEntry {
  result: ListToolsResult;
  expiresAt: number;
  userId: string;
  serverUrls: Set<string>;
}

/**
 * Tool lists per (user, harness, servers fingerprint) for a short TTL. A server's `notifications/tools/list_changed`
 * drops every entry of that user that includes the server; a listing that overlapped such a notification is not stored.
 */
export class ToolListCache {
  private readonly entries = new Map<string, CacheEntry>();
  private invalidations = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): ListToolsResult | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.result;
  }

  /** A token to pass to `set`: the entry is only stored when nothing was invalidated in between. */
  mark(): number {
    return this.invalidations;
  }

  set(key: string, mark: number, userId: string, serverUrls: string[], result: ListToolsResult): void {
    if (this.ttlMs <= 0 || mark !== this.invalidations) return;
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { result, expiresAt: now + this.ttlMs, userId, serverUrls: new Set(serverUrls) });
  }

  invalidate(userId: string, serverUrl: string): void {
    this.invalidations++;
    for (const [k, e] of this.entries) if (e.userId === userId && e.serverUrls.has(serverUrl)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
