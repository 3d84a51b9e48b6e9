import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisConnection } from './redis-connection.ts';
import { redisUnavailable } from './redis-connection.ts';

export type LimitResult = { ok: true } | { ok: false; retryAfterS: number };

/** A fixed-window limit per key, in process or shared by every instance through Redis. */
export interface Limiter {
  /** Counts one hit for `key`; `ok: false` once the window's limit is passed. Throws `REDIS_UNAVAILABLE`. */
  consume(key: string): Promise<LimitResult>;
  /** Takes back one hit (a login that succeeded does not count against the limit). */
  refund(key: string): Promise<void>;
}

export interface LimitSpec {
  limit: number;
  windowMs: number;
}

/** Makes the limiter called `name` (its keys' namespace); the same name on every instance shares one count. */
export type LimiterFactory = (name: string, spec: LimitSpec) => Limiter;

function wrap(rl: RateLimiterAbstract): Limiter {
  return {
    async consume(key) {
      try {
        await rl.consume(key);
        return { ok: true };
      } catch (res) {
        // A RateLimiterRes is "over the limit"; anything else is the store failing.
        if (res instanceof RateLimiterRes)
          return { ok: false, retryAfterS: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
        throw redisUnavailable(res);
      }
    },
    async refund(key) {
      try {
        await rl.reward(key, 1);
      } catch (err) {
        throw redisUnavailable(err);
      }
    },
  };
}

const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

/** Limits kept in this process (one instance, no `REDIS_URL`). */
export const memoryLimiters: LimiterFactory = (name, spec) =>
  wrap(new RateLimiterMemory({ keyPrefix: name, points: spec.limit, duration: seconds(spec.windowMs) }));

/**
 * Limits in Redis, shared by every instance. No insurance limiter: when Redis is down a limit
 * fails closed (503 REDIS_UNAVAILABLE) rather than silently becoming per instance.
 */
export function redisLimiters(redis: RedisConnection): LimiterFactory {
  return (name, spec) =>
    wrap(
      new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: `cg:limit:${name}`,
        points: spec.limit,
        duration: seconds(spec.windowMs),
        rejectIfRedisNotReady: true,
      }),
    );
}
