import { describe, expect, it } from 'vitest';
import { createMemoryStreamSlots, createRedisStreamSlots } from './stream-slots.ts';
import { useTestRedis } from './test-redis.ts';

const shared = useTestRedis();

describe('stream slots', () => {
  it('in memory: caps per user and frees on release', async () => {
    const slots = createMemoryStreamSlots();
    expect(await slots.acquire(1, 'a', 2)).toBe(true);
    expect(await slots.acquire(1, 'b', 2)).toBe(true);
    expect(await slots.acquire(1, 'c', 2)).toBe(false);
    expect(await slots.acquire(2, 'd', 2)).toBe(true);
    await slots.release(1, 'a');
    expect(await slots.acquire(1, 'c', 2)).toBe(true);
    expect(await slots.count(1)).toBe(2);
  });

  it('in Redis: two instances share the cap, and a dead instance’s slots age out', async () => {
    let t = 1_000_000;
    const now = () => t;
    const alive = createRedisStreamSlots(shared.conn, { ttlMs: 30_000, now });
    const dying = createRedisStreamSlots(shared.conn, { ttlMs: 30_000, now });
    expect(await dying.acquire(7, 'x', 2)).toBe(true);
    expect(await alive.acquire(7, 'y', 2)).toBe(true);
    expect(await alive.acquire(7, 'z', 2)).toBe(false);
    expect(await alive.count(7)).toBe(2);
    // `dying` stops beating (its process died); past the TTL its slot no longer counts.
    dying.close();
    t += 30_001;
    expect(await alive.count(7)).toBe(0);
    expect(await alive.acquire(7, 'z', 2)).toBe(true);
    alive.close();
  });

  it('in Redis: the heartbeat keeps this instance’s slots alive', async () => {
    let t = 2_000_000;
    const slots = createRedisStreamSlots(shared.conn, { ttlMs: 60_000, now: () => t });
    expect(await slots.acquire(8, 'kept', 1)).toBe(true);
    t += 40_000;
    // A beat (every ttl / 3) moves the expiry to t + ttl.
    await slots.beat();
    t += 40_000;
    expect(await slots.count(8)).toBe(1);
    await slots.release(8, 'kept');
    expect(await slots.count(8)).toBe(0);
    slots.close();
  });

  it('in Redis: after Redis lost its data, the next beat counts this instance’s open streams again', async () => {
    const slots = createRedisStreamSlots(shared.conn, { ttlMs: 60_000 });
    expect(await slots.acquire(9, 'open', 1)).toBe(true);
    await shared.conn.client.flushall();
    expect(await slots.count(9)).toBe(0);
    await slots.beat();
    expect(await slots.count(9)).toBe(1);
    expect(await slots.acquire(9, 'another', 1)).toBe(false);
    slots.close();
  });
});
