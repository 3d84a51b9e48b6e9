import { startRedis } from '@comfy-gateway/test-infra';
import type { RedisInstance } from '@comfy-gateway/test-infra';
import { Redis } from 'ioredis';
import type { LeaseClock } from '../lease-keeper.ts';

/** A private redis-server and the connections a test opened on it, all closed by `close`. */
export async function redisFixture() {
  const server: RedisInstance = await startRedis();
  const opened: Redis[] = [];
  return {
    server,
    /** A new connection; `name` shows in CLIENT LIST. */
    connect(name?: string): Redis {
      const redis = new Redis(server.url, {
        ...(name ? { connectionName: name } : {}),
        retryStrategy: () => 50,
      });
      redis.on('error', () => undefined);
      opened.push(redis);
      return redis;
    },
    async close(): Promise<void> {
      for (const r of opened) r.disconnect();
      await server.stop();
    },
  };
}

export type RedisFixture = Awaited<ReturnType<typeof redisFixture>>;

/** A resolver to await a callback's next call. */
export function nextCall<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The system clock, counting fired timers so a test can await "n more ticks" instead of sleeping. */
export function countingClock(): LeaseClock & { ticks(n: number): Promise<void> } {
  let fired = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) =>
      setTimeout(() => {
        fn();
        fired++;
        for (const w of waiters.filter((w) => w.at <= fired)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    ticks: (n) => new Promise((resolve) => waiters.push({ at: fired + n, resolve })),
  };
}
