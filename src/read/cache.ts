/**
 * A least-recently-used cache bounded in bytes, shared by node columns and graph
 * indexes. Entries are immutable values keyed by what they were built from (table
 * path, Lance branch, version, …), so a hit is always exact; branches pinning the
 * same version share entries.
 */

/** Default bound: 512 MiB, about a 5M-edge index plus its node columns. */
export const DEFAULT_READ_CACHE_BYTES = 512 * 1024 * 1024;

interface Entry {
  value: unknown;
  bytes: number;
}

export class ReadCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  /** Values built in flight, so concurrent queries build each entry once. */
  private readonly building = new Map<string, Promise<unknown>>();

  constructor(readonly maxBytes: number = DEFAULT_READ_CACHE_BYTES) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value as T;
  }

  /** Stores a value; one larger than the whole bound is not kept (the caller still uses it). */
  set(key: string, value: unknown, bytes: number): void {
    const old = this.entries.get(key);
    if (old) {
      this.used -= old.bytes;
      this.entries.delete(key);
    }
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    for (const [k, e] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(k);
      this.used -= e.bytes;
    }
  }

  /** The cached value, or `build()`'s, cached with its size; concurrent callers share one build. */
  async getOrBuild<T>(key: string, build: () => Promise<{ value: T; bytes: number }>): Promise<T> {
    const hit = this.get<T>(key);
    if (hit !== undefined) return hit;
    let pending = this.building.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = build().then(({ value, bytes }) => {
        this.set(key, value, bytes);
        return value;
      });
      this.building.set(key, pending);
      const forget = (): void => {
        this.building.delete(key);
      };
      pending.then(forget, forget);
    }
    return pending;
  }

  /** Forgets one entry (a value found unusable after it was cached). */
  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.used -= e.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
