import { createHash } from 'node:crypto';
import type { SharedCacheEntry, SharedCacheStore } from '@comfy-gateway/comfy-core';
import type { RedisConnection } from './redis-connection.ts';

/**
 * comfy-core's shared cache over Redis: one hash per key (`json`, `hash`, `fetched_at`) expiring
 * with the cache's TTL. Keys are hashed (they name upstream URLs).
 */
export function createRedisCacheStore(redis: RedisConnection, prefix = 'cg:cache'): SharedCacheStore {
  const keyOf = (key: string) => `${prefix}:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  return {
    async read(key) {
      const [json, hash, fetchedAt] = await redis.client.hmget(keyOf(key), 'json', 'hash', 'fetched_at');
      if (json == null || hash == null || fetchedAt == null) return null;
      return { json, hash, fetchedAt: Number(fetchedAt) } satisfies SharedCacheEntry;
    },
    async write(key, entry, ttlMs) {
      if (ttlMs <= 0) return;
      const k = keyOf(key);
      await redis.client
        .multi()
        .hset(k, { json: entry.json, hash: entry.hash, fetched_at: String(entry.fetchedAt) })
        .pexpire(k, Math.ceil(ttlMs))
        .exec();
    },
  };
}
