/**
 * Positive API key verifications, by the key's SHA-256: a bounded LRU with a TTL (a JavaScript Map keeps insertion
 * order; a hit moves the entry to the end, the oldest is evicted past `maxEntries`). An entry never outlives the key's
 * own expiry. Revocation on this replica deletes the entry at once; other replicas forget it within `ttlMs`.
 */
export interface VerifiedKey {
  userId: string;
  keyId: string;
}

interface Entry extends VerifiedKey {
  until: number;
}

export class VerificationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(keyHash: string): VerifiedKey | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) return undefined;
    this.entries.delete(keyHash);
    if (entry.until <= this.now()) return undefined;
    this.entries.set(keyHash, entry);
    return { userId: entry.userId, keyId: entry.keyId };
  }

  set(keyHash: string, key: VerifiedKey, expiresAt: Date | null): void {
    const until = Math.min(this.now() + this.ttlMs, expiresAt?.getTime() ?? Infinity);
    this.entries.delete(keyHash);
    if (until <= this.now()) return;
    this.entries.set(keyHash, { ...key, until });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(keyHash: string): void {
    this.entries.delete(keyHash);
  }
}
