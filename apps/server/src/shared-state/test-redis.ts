import { startRedis } from '@comfy-gateway/test-infra';
import type { RedisInstance } from '@comfy-gateway/test-infra';
import { afterAll, beforeAll } from 'vitest';
import { createRedisConnection } from './redis-connection.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * For tests only: a private Redis and a ready connection to it for the calling test file, started
 * in its `beforeAll` and stopped in its `afterAll`. Read `conn` inside tests (it is set by then).
 */
export function useTestRedis(): { readonly conn: RedisConnection } {
  let redis: RedisInstance | undefined;
  let conn: RedisConnection | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    conn = createRedisConnection(redis.url);
    await conn.ready();
  });
  afterAll(async () => {
    await conn?.close();
    await redis?.stop();
  });
  return {
    get conn() {
      if (!conn) throw new Error('useTestRedis: the connection is made in beforeAll');
      return conn;
    },
  };
}
