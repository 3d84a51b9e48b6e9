import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.ts';

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
});
