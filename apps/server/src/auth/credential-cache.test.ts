import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache.ts';

function cacheAt(ttlMs = 5000) {
  const clock = { t: 1_000_000, now: () => clock.t };
  return { clock, cache: new CredentialCache<string>(clock, ttlMs) };
}

describe('CredentialCache', () => {
  it('keeps a credential for the TTL, or until the credential itself expires if sooner', () => {
    const { clock, cache } = cacheAt();
    cache.set('a', 'alice', { userId: 1, stamp: cache.stamp(), expiresAt: null });
    cache.set('b', 'bob', { userId: 2, stamp: cache.stamp(), expiresAt: clock.t + 1000 });
    clock.t += 999;
    expect([cache.get('a'), cache.get('b')]).toEqual(['alice', 'bob']);
    clock.t += 1;
    expect(cache.get('b')).toBeUndefined();
    clock.t += 4000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets every credential of a user at once, and ignores a check that was in flight meanwhile', () => {
    const { cache } = cacheAt();
    cache.set('a1', 'alice', { userId: 1, stamp: cache.stamp(), expiresAt: null });
    cache.set('a2', 'alice', { userId: 1, stamp: cache.stamp(), expiresAt: null });
    cache.set('b', 'bob', { userId: 2, stamp: cache.stamp(), expiresAt: null });
    const inFlight = cache.stamp(); // a request read the database before the revocation...
    cache.forgetUser(1);
    expect([cache.get('a1'), cache.get('a2'), cache.get('b')]).toEqual([undefined, undefined, 'bob']);
    // ...and finishes after it: its answer is not cached.
    cache.set('a1', 'alice', { userId: 1, stamp: inFlight, expiresAt: null });
    expect(cache.get('a1')).toBeUndefined();
  });

  it('caches nothing with a TTL of 0', () => {
    const { cache } = cacheAt(0);
    cache.set('a', 'alice', { userId: 1, stamp: cache.stamp(), expiresAt: null });
    expect(cache.get('a')).toBeUndefined();
  });
});
