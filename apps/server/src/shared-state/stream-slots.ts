import type { RedisConnection } from './redis-connection.ts';
import { withRedis } from './redis-connection.ts';

/**
 * The count of open streams per user (`USER_MAX_STREAMS`): in process, or one Redis sorted set
 * per user shared by every instance. Each slot is a stream id.
 */
export interface StreamSlots {
  /** Takes a slot for `id`; false when the user holds `max` already. Throws `REDIS_UNAVAILABLE`. */
  acquire(userId: number, id: string, max: number): Promise<boolean>;
  /** Gives the slot back; never throws (a slot that cannot be removed ages out). */
  release(userId: number, id: string): Promise<void>;
  /** Slots the user holds across every instance. */
  count(userId: number): Promise<number>;
  close(): void;
}

/** Slots of this process only. */
export function createMemoryStreamSlots(): StreamSlots {
  const byUser = new Map<number, Set<string>>();
  return {
    acquire(userId, id, max) {
      let set = byUser.get(userId);
      if ((set?.size ?? 0) >= max) return Promise.resolve(false);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(id);
      return Promise.resolve(true);
    },
    release(userId, id) {
      const set = byUser.get(userId);
      set?.delete(id);
      if (set?.size === 0) byUser.delete(userId);
      return Promise.resolve();
    },
    count: (userId) => Promise.resolve(byUser.get(userId)?.size ?? 0),
    close: () => undefined,
  };
}

// Score = when the slot expires; expired slots go first, so a crashed instance's streams age out.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
`;

export interface RedisStreamSlotsOptions {
  /** A slot not refreshed for this long is dropped (its instance died). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Slots in Redis: a sorted set per user of stream ids scored by expiry. Every `ttlMs / 3` this
 * instance pushes the expiry of its own open slots forward; those of a dead instance lapse.
 */
export function createRedisStreamSlots(
  redis: RedisConnection,
  opts: RedisStreamSlotsOptions = {},
): StreamSlots & { beat(): Promise<void> } {
  const ttlMs = opts.ttlMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const key = (userId: number) => `cg:streams:${userId}`;
  // Held here: what the heartbeat refreshes.
  const mine = new Map<string, number>();

  /** Pushes the expiry of this instance's slots forward. */
  const beat = async () => {
    if (mine.size === 0 || redis.state !== 'ready') return;
    const expiry = now() + ttlMs;
    const batch = redis.client.pipeline();
    for (const [id, userId] of mine) {
      // Not XX: after a Redis restart the beat puts this instance's open streams back in the count.
      batch.zadd(key(userId), expiry, id);
      batch.pexpire(key(userId), ttlMs);
    }
    // Failures are retried at the next beat; a lapsed slot only frees room for the user.
    await batch.exec().catch(() => undefined);
  };
  const heartbeat = setInterval(() => void beat(), ttlMs / 3);
  heartbeat.unref();

  return {
    beat,
    async acquire(userId, id, max) {
      const taken = await withRedis(() => redis.client.eval(ACQUIRE, 1, key(userId), now(), id, max, ttlMs));
      if (taken !== 1) return false;
      mine.set(id, userId);
      return true;
    },
    async release(userId, id) {
      mine.delete(id);
      await redis.client.zrem(key(userId), id).catch(() => undefined);
    },
    async count(userId) {
      return withRedis(() => redis.client.zcount(key(userId), `(${now()}`, '+inf'));
    },
    close() {
      clearInterval(heartbeat);
    },
  };
}
