import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_DEFAULTS, createLeaseKeeper, leaseHolder } from './lease-keeper.ts';
import type { Lease, LeaseKeeper, LeaseLossReason } from './lease-keeper.ts';
import { countingClock, nextCall, redisFixture } from './testing/redis-fixture.ts';
import type { RedisFixture } from './testing/redis-fixture.ts';

const TTL = 800;
const RENEW = 250;
const RETRY = 150;

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture();
});
afterAll(() => fx.close());

let keyNo = 0;
/** Two keepers on a fresh key, each on its own connection, with their events recorded. */
function pair() {
  const key = `lease:test:${++keyNo}`;
  const make = (holderId: string) => {
    const redis = fx.connect(holderId);
    const acquired: Lease[] = [];
    const lost: LeaseLossReason[] = [];
    let onAcquired = nextCall<Lease>();
    let onLost = nextCall<LeaseLossReason>();
    const clock = countingClock();
    const keeper = createLeaseKeeper({
      redis,
      key,
      holderId,
      ttlMs: TTL,
      renewEveryMs: RENEW,
      retryEveryMs: RETRY,
      clock,
      onAcquired: (lease) => {
        acquired.push(lease);
        onAcquired.resolve(lease);
        onAcquired = nextCall();
      },
      onLost: (_lease, reason) => {
        lost.push(reason);
        onLost.resolve(reason);
        onLost = nextCall();
      },
    });
    return {
      redis,
      keeper,
      clock,
      acquired,
      lost,
      nextAcquired: () => onAcquired.promise,
      nextLost: () => onLost.promise,
    };
  };
  return { key, a: make(`a-${keyNo}`), b: make(`b-${keyNo}`) };
}

const holders = (...ks: LeaseKeeper[]) => ks.filter((k) => k.lease !== undefined).length;

describe('createLeaseKeeper', () => {
  it('defaults let another instance take over within 10 s of the holder dying', () => {
    expect(LEASE_DEFAULTS.ttlMs + LEASE_DEFAULTS.retryEveryMs).toBeLessThanOrEqual(10_000);
    expect(LEASE_DEFAULTS.renewEveryMs * 3).toBeLessThanOrEqual(LEASE_DEFAULTS.ttlMs);
  });

  it('two contenders on one key: exactly one holds, through several renewals', async () => {
    const { key, a, b } = pair();
    const first = Promise.race([a.nextAcquired(), b.nextAcquired()]);
    a.keeper.contend();
    b.keeper.contend();
    const lease = await first;
    await Promise.all([a.clock.ticks(6), b.clock.ticks(6)]);
    expect(holders(a.keeper, b.keeper)).toBe(1);
    expect(a.acquired.length + b.acquired.length).toBe(1);
    expect(await leaseHolder(fx.connect(), key)).toBe(lease.holderId);
    await a.keeper.stop();
    await b.keeper.stop();
  });

  it('a holder that dies without releasing is replaced within ttl + retry, with a higher token', async () => {
    const { key, a, b } = pair();
    const held = await a.keeper.acquire();
    expect(held).toBeDefined();
    const taken = b.nextAcquired();
    b.keeper.contend();
    await b.clock.ticks(2);
    expect(b.keeper.lease).toBeUndefined();

    const diedAt = Date.now();
    const aLost = a.nextLost();
    a.redis.disconnect(); // the process is gone: no release, no more renewals reach Redis
    const lease = await taken;
    expect(Date.now() - diedAt).toBeLessThanOrEqual(TTL + RETRY + 200);
    expect(lease.token).toBeGreaterThan(held?.token ?? Infinity);
    expect(await leaseHolder(fx.connect(), key)).toBe(b.keeper.lease?.holderId);
    // The dead holder's own view expires too (before Redis let b in).
    expect(await aLost).toBe('unreachable');
    await a.keeper.stop({ release: false });
    await b.keeper.stop();
  });

  it('a holder whose lease was taken sees onLost, its stale renew fails and its release leaves the new holder', async () => {
    const { key, a, b } = pair();
    const admin = fx.connect();
    const first = await a.keeper.acquire();
    // a stalls past its TTL (simulated by the key going away), b takes the free lease.
    await admin.del(key);
    const second = await b.keeper.acquire();
    expect(second?.token).toBeGreaterThan(first?.token ?? Infinity);
    const lost = a.nextLost();
    expect(await a.keeper.renew()).toBe(false);
    expect(await lost).toBe('taken');
    expect(a.keeper.lease).toBeUndefined();
    await a.keeper.stop();
    expect(await leaseHolder(admin, key)).toBe(b.keeper.lease?.holderId);
    await b.keeper.stop();
    expect(await admin.get(key)).toBeNull();
  });

  it('a renewal hanging on a stalled Redis does not keep the lease past its TTL, and is handed back', async () => {
    const { key, a } = pair();
    const admin = fx.connect();
    const held = await a.keeper.acquire();
    const lost = a.nextLost();
    const stalledAt = Date.now();
    await admin.call('CLIENT', 'PAUSE', String(TTL * 2), 'ALL');
    expect(await lost).toBe('unreachable');
    expect(Date.now() - stalledAt).toBeLessThanOrEqual(TTL + 100);
    expect(a.keeper.lease).toBeUndefined();
    // Given up locally, the keeper frees the key (its release is queued behind the stall, on its connection).
    expect(await a.redis.get(key)).toBeNull();
    expect(held?.holderId).toBe(a.acquired[0]?.holderId);
    await a.keeper.stop();
  });

  it('fencing tokens rise with every acquisition of a key', async () => {
    const { a, b } = pair();
    const tokens: number[] = [];
    for (let i = 0; i < 4; i++) {
      const k = i % 2 ? a.keeper : b.keeper;
      tokens.push((await k.acquire())?.token ?? 0);
      await k.stop();
    }
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(4);
  });

  it('after Redis restarts empty, exactly one contender holds the lease again, with a higher token', async () => {
    const { key, a, b } = pair();
    a.keeper.contend();
    b.keeper.contend();
    const before = await Promise.race([a.nextAcquired(), b.nextAcquired()]);
    const holder = before.holderId === a.keeper.lease?.holderId ? a : b;
    const lost = holder.nextLost();
    const again = Promise.race([a.nextAcquired(), b.nextAcquired()]);

    await fx.server.kill({ hard: true });
    await fx.server.restart();

    expect(['expired', 'unreachable']).toContain(await lost);
    const after = await again;
    expect(after.token).toBeGreaterThan(before.token);
    await Promise.all([a.clock.ticks(4), b.clock.ticks(4)]);
    expect(holders(a.keeper, b.keeper)).toBe(1);
    const now = a.keeper.lease ?? b.keeper.lease;
    expect(await leaseHolder(fx.connect(), key)).toBe(now?.holderId);
    expect(now?.token).toBeGreaterThan(before.token);
    await a.keeper.stop();
    await b.keeper.stop();
  });
});
