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

/** An entry as other processes see it: the value's JSON text, its hash and when it was fetched. */
export interface SharedCacheEntry {
  json: string;
  hash: string;
  fetchedAt: number;
}

/**
 * A store shared by several processes (Redis in a cluster), so one load serves them all. Its
 * failures never fail a `get`: the cache then loads for itself.
 */
export interface SharedCacheStore {
  read(key: string): Promise<SharedCacheEntry | null>;
  write(key: string, entry: SharedCacheEntry, ttlMs: number): Promise<void>;
}

export interface TtlCache<T> {
  /** Cached value if fresh, else one shared `load` for all concurrent callers; stale copy on failure. */
  get(key: string, load: () => Promise<T>, opts?: { refresh?: boolean }): Promise<CacheResult<T>>;
  invalidate(key: string): void;
  /** How many loads ran (hits = calls - loads). */
  readonly stats: { hits: number; loads: number; staleServed: number; sharedHits: number };
}

/** sha256 hex of a value's JSON text. */
export function contentHash(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value) ?? '')
    .digest('hex');
}

/**
 * TTL cache with single flight and stale-on-error. With `shared`, a cold or expired key is first
 * looked up there, and every load is written there, so one refresh serves every process.
 */
export function createTtlCache<T>(opts: {
  ttlMs: number;
  now?: () => number;
  shared?: SharedCacheStore;
  onSharedError?: (err: unknown) => void;
}): TtlCache<T> {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, CacheResult<T>>();
  const inflight = new Map<string, Promise<CacheResult<T>>>();
  const stats = { hits: 0, loads: 0, staleServed: 0, sharedHits: 0 };
  const sharedError = (err: unknown) => opts.onSharedError?.(err);

  /** A fresh entry another process wrote; the local value object is kept when the hash matches. */
  const readShared = async (key: string): Promise<CacheResult<T> | null> => {
    const found = await opts.shared?.read(key).catch((err: unknown) => {
      sharedError(err);
      return null;
    });
    if (!found || now() - found.fetchedAt >= opts.ttlMs) return null;
    const old = entries.get(key);
    let value: T;
    try {
      value = old?.hash === found.hash ? old.value : (JSON.parse(found.json) as T);
    } catch (err) {
      sharedError(err);
      return null;
    }
    const entry: CacheResult<T> = { value, hash: found.hash, fetchedAt: found.fetchedAt, stale: false };
    entries.set(key, entry);
    stats.sharedHits++;
    return entry;
  };

  const load = (key: string, loader: () => Promise<T>, refresh: boolean) => {
    const running = inflight.get(key);
    if (running) return running;
    const p = (async () => {
      try {
        const fromShared = refresh ? null : await readShared(key);
        if (fromShared) return fromShared;
        stats.loads++;
        const value = await loader();
        const json = JSON.stringify(value) ?? '';
        const hash = createHash('sha256').update(json).digest('hex');
        const entry: CacheResult<T> = { value, hash, fetchedAt: now(), stale: false };
        entries.set(key, entry);
        if (opts.shared)
          await opts.shared
            .write(key, { json, hash: entry.hash, fetchedAt: entry.fetchedAt }, opts.ttlMs)
            .catch(sharedError);
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
      return load(key, loader, o?.refresh === true);
    },
    invalidate(key) {
      entries.delete(key);
    },
    stats,
  };
}
