import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.ts';
import type { SharedCacheEntry, SharedCacheStore } from './ttl-cache.ts';

describe('createTtlCache', () => {
  it('serves 100 concurrent cold callers from one load', async () => {
    const cache = createTtlCache<number>({ ttlMs: 1000 });
    let loads = 0;
    const loader = () => new Promise<number>((r) => setTimeout(() => r(++loads), 10));
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.get('k', loader)));
    expect(loads).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set([1]));
    expect(cache.stats.loads).toBe(1);
  });

  it('expires after the TTL and refresh bypasses it', async () => {
    let t = 0;
    const cache = createTtlCache<number>({ ttlMs: 1000, now: () => t });
    let n = 0;
    const loader = () => Promise.resolve(++n);
    expect((await cache.get('k', loader)).value).toBe(1);
    t = 999;
    expect((await cache.get('k', loader)).value).toBe(1);
    expect((await cache.get('k', loader, { refresh: true })).value).toBe(2);
    t = 2000;
    expect((await cache.get('k', loader)).value).toBe(3);
    expect(cache.stats.hits).toBe(1);
  });

  it('serves the stale copy with a warning when a refresh fails, and throws with nothing cached', async () => {
    const cache = createTtlCache<{ a: number }>({ ttlMs: 0 });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const first = await cache.get('k', () => Promise.resolve({ a: 1 }));
    const stale = await cache.get('k', () => Promise.reject(new Error('down')));
    expect(stale).toMatchObject({ value: { a: 1 }, stale: true, hash: first.hash });
    expect(stale.warning).toMatch(/refresh failed \(down\)/);
    expect((await cache.get('k', () => Promise.resolve({ a: 2 }))).stale).toBe(false);
  });

  it('hashes content, so equal values share an ETag', async () => {
    const cache = createTtlCache<object>({ ttlMs: 0 });
    const a = await cache.get('a', () => Promise.resolve({ x: [1, 2] }));
    const b = await cache.get('b', () => Promise.resolve({ x: [1, 2] }));
    const c = await cache.get('c', () => Promise.resolve({ x: [2, 1] }));
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shares one load between concurrent refreshes, and invalidate forces the next load', async () => {
    const cache = createTtlCache<number>({ ttlMs: 60_000 });
    let n = 0;
    const loader = () => new Promise<number>((r) => setTimeout(() => r(++n), 5));
    await cache.get('k', loader);
    const refreshed = await Promise.all(
      Array.from({ length: 10 }, () => cache.get('k', loader, { refresh: true })),
    );
    expect(refreshed.map((r) => r.value)).toEqual(Array(10).fill(2));
    expect((await cache.get('k', loader)).value).toBe(2);
    cache.invalidate('k');
    expect((await cache.get('k', loader)).value).toBe(3);
    expect(cache.stats.loads).toBe(3);
  });

  it('with a shared store, one load serves every cache and a refresh reaches the others', async () => {
    let t = 0;
    const entries = new Map<string, SharedCacheEntry>();
    const store: SharedCacheStore = {
      read: (key) => Promise.resolve(entries.get(key) ?? null),
      write: (key, entry) => Promise.resolve(void entries.set(key, entry)),
    };
    const a = createTtlCache<{ n: number }>({ ttlMs: 1000, now: () => t, shared: store });
    const b = createTtlCache<{ n: number }>({ ttlMs: 1000, now: () => t, shared: store });
    let n = 0;
    const loader = () => Promise.resolve({ n: ++n });
    const first = await a.get('k', loader);
    const fromB = await b.get('k', loader);
    expect(fromB).toMatchObject({ value: { n: 1 }, hash: first.hash, fetchedAt: first.fetchedAt });
    expect([b.stats.loads, b.stats.sharedHits]).toEqual([0, 1]);
    t = 500;
    const refreshed = await a.get('k', loader, { refresh: true });
    expect(refreshed.value).toEqual({ n: 2 });
    // B still holds a fresh copy of its own; once that expires it takes A's refresh, not ComfyUI's.
    expect((await b.get('k', loader)).value).toEqual({ n: 1 });
    t = 1200;
    expect((await b.get('k', loader)).value).toEqual({ n: 2 });
    t = 1600;
    expect((await b.get('k', loader)).value).toEqual({ n: 3 });
    expect(n).toBe(3);
  });

  it('loads for itself when the shared store fails or holds garbage', async () => {
    const errors: unknown[] = [];
    const broken: SharedCacheStore = {
      read: () => Promise.reject(new Error('store down')),
      write: () => Promise.reject(new Error('store down')),
    };
    const cache = createTtlCache<number>({
      ttlMs: 1000,
      shared: broken,
      onSharedError: (e) => errors.push(e),
    });
    expect((await cache.get('k', () => Promise.resolve(7))).value).toBe(7);
    expect(errors).toHaveLength(2);
    const garbage: SharedCacheStore = {
      read: () => Promise.resolve({ json: '{not json', hash: 'x', fetchedAt: Date.now() }),
      write: () => Promise.resolve(),
    };
    const other = createTtlCache<number>({
      ttlMs: 1000,
      shared: garbage,
      onSharedError: (e) => errors.push(e),
    });
    expect((await other.get('k', () => Promise.resolve(8))).value).toBe(8);
    expect(errors).toHaveLength(3);
  });
});
