import type { ListToolsResult } from '@harness/contracts';

interface CacheEntry {
  result: ListToolsResult;
  expiresAt: number;
  userId: string;
  serverUrls: Set<string>;
  /** The listing's size as JSON, counted against `maxBytes`. */
  bytes: number;
}

export interface ToolListCacheLimits {
  /** Entries kept at most (default 1 000). */
  maxEntries?: number;
  /** Bytes (listings as JSON) kept at most; a listing larger than this on its own is not cached (default 64 MiB). */
  maxBytes?: number;
}

/**
 * Tool lists per (user, harness, servers fingerprint) for a short TTL, bounded by entry count and by bytes (oldest
 * first out). A server's `notifications/tools/list_changed` drops every entry of that user that includes the server;
 * a listing that overlapped such a notification is not stored.
 */
export class ToolListCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private totalBytes = 0;
  private invalidations = 0;

  constructor(
    private readonly ttlMs: number,
    limits: ToolListCacheLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.maxEntries = limits.maxEntries ?? 1_000;
    this.maxBytes = limits.maxBytes ?? 64 * 1024 * 1024;
  }

  get(key: string): ListToolsResult | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(key);
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
    const bytes = Buffer.byteLength(JSON.stringify(result));
    this.delete(key);
    if (bytes > this.maxBytes) return;
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.delete(k);
    while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.totalBytes + bytes > this.maxBytes)) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
    this.entries.set(key, { result, expiresAt: now + this.ttlMs, userId, serverUrls: new Set(serverUrls), bytes });
    this.totalBytes += bytes;
  }

  invalidate(userId: string, serverUrl: string): void {
    this.invalidations++;
    for (const [k, e] of this.entries) if (e.userId === userId && e.serverUrls.has(serverUrl)) this.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the listings held now. */
  get bytes(): number {
    return this.totalBytes;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }
}
