import { createHash } from 'node:crypto';

export interface CacheResult<T> {
  value: T;
  /** sha256 of the JSON form, for ETags. */
  hash: string;
  fetchedAt: number;
  /** True when a refresh failed and an older copy was served. */
  stale: boolean;
  warning?: string;
}

export interface TtlCache<T> {
  /** Cached value if fresh, else one shared `load` for all concurrent callers; stale copy on failure. */
  get(key: string, load: () => Promise<T>, opts?: { refresh?: boolean }): Promise<CacheResult<T>>;
  invalidate(key: string): void;
  /** How many loads ran (hits = calls - loads). */
  readonly stats: { hits: number; loads: number; staleServed: number };
}

/** sha256 hex of a value's JSON text. */
export function contentHash(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value) ?? '')
    .digest('hex');
}

/** TTL cache with single flight and stale-on-error. */
export function createTtlCache<T>(opts: { ttlMs: number; now?: () => number }): TtlCache<T> {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, CacheResult<T>>();
  const inflight = new Map<string, Promise<CacheResult<T>>>();
  const stats = { hits: 0, loads: 0, staleServed: 0 };

  const load = (key: string, loader: () => Promise<T>) => {
    const running = inflight.get(key);
    if (running) return running;
    stats.loads++;
    const p = (async () => {
      try {
        const value = await loader();
        const entry: CacheResult<T> = { value, hash: contentHash(value), fetchedAt: now(), stale: false };
        entries.set(key, entry);
        return entry;
      } catch (err) {
        const old = entries.get(key);
        if (!old) throw err;
        stats.staleServed++;
        const why = err instanceof Error ? err.message : String(err);
        return {
          ...old,
          stale: true,
          warning: `serving a copy from ${new Date(old.fetchedAt).toISOString()}: refresh failed (${why})`,
        };
      } finally {
        inflight.delete(key);
      }
    })();
    inflight.set(key, p);
    return p;
  };

  return {
    async get(key, loader, o) {
      const entry = entries.get(key);
      if (!o?.refresh && entry && now() - entry.fetchedAt < opts.ttlMs) {
        stats.hits++;
        return entry;
      }
      return load(key, loader);
    },
    invalidate(key) {
      entries.delete(key);
    },
    stats,
  };
}
