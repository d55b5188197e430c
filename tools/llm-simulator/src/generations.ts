import { randomBytes } from 'node:crypto';

/**
 * Generation ids and the in-memory generation-stats store (OpenRouter `GET /generation?id=` shape), plus the
 * recent-requests log used by tests.
 */

export interface GenerationStats {
  id: string;
  model: string;
  tokens_prompt: number;
  tokens_completion: number;
  native_tokens_prompt: number;
  native_tokens_completion: number;
  native_tokens_reasoning: number;
  total_cost: number;
  streamed: boolean;
  cancelled: boolean;
  finish_reason: string | null;
  created_at: string;
  generation_time: number;
}

export class GenerationIds {
  private counter = 0;
  next(): string {
    this.counter += 1;
    return `gen-${this.counter}-${randomBytes(6).toString('hex')}`;
  }
}

/** Bounded store: keeps the newest `max` entries, evicting the oldest (Map keeps insertion order). */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  get size(): number {
    return this.map.size;
  }
}

export class GenerationStore extends BoundedMap<GenerationStats> {
  constructor(max = 10_000) {
    super(max);
  }
}

/** The last `max` request bodies, oldest first. */
export class RequestLog {
  private items: unknown[] = [];
  constructor(private readonly max = 200) {}

  add(body: unknown): void {
    this.items.push(body);
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
  }

  last(n: number): unknown[] {
    if (n <= 0) return [];
    return this.items.slice(-n);
  }

  clear(): void {
    this.items = [];
  }
}
