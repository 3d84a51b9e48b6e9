import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.ts';

// Commands fail within this when Redis hangs, so a request never waits on a dead server.
const COMMAND_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;

export type RedisState = 'connecting' | 'ready' | 'down';

/** The one Redis connection of an instance: ioredis with backoff, no offline queue. */
export interface RedisConnection {
  readonly client: Redis;
  readonly state: RedisState;
  /** Round trip of a PING in ms; throws `REDIS_UNAVAILABLE` when Redis does not answer. */
  ping(): Promise<number>;
  /** Resolves once connected, or after `timeoutMs` (the app starts degraded and recovers). */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The 503 of anything that needs Redis while it is down; the cause (it names the host) stays in the log. */
export function redisUnavailable(cause: unknown): GatewayError {
  return new GatewayError(
    'REDIS_UNAVAILABLE',
    'shared state (Redis) is unavailable; retry shortly',
    { retry_after_s: 2 },
    { cause },
  );
}

/** Runs a Redis operation; any failure of Redis becomes `REDIS_UNAVAILABLE`. */
export async function withRedis<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw redisUnavailable(err);
  }
}

/**
 * Connects to `url`. Reconnects for ever with capped backoff; while it is down commands fail at
 * once (`enableOfflineQueue: false`) instead of queueing behind a dead socket.
 */
export function createRedisConnection(url: string, logger?: Logger): RedisConnection {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), MAX_RECONNECT_DELAY_MS),
  });
  let lastLogged = '';
  // One line per change of state, not one per reconnect attempt.
  const logState = (state: string, err?: unknown) => {
    if (state === lastLogged) return;
    lastLogged = state;
    if (state === 'ready') logger?.info('redis connected');
    else logger?.warn({ err }, `redis ${state}`);
  };
  client.on('ready', () => logState('ready'));
  client.on('error', (err: unknown) => logState('unavailable', err));
  client.on('end', () => logState('closed'));

  return {
    client,
    get state(): RedisState {
      if (client.status === 'ready') return 'ready';
      return client.status === 'connecting' || client.status === 'wait' ? 'connecting' : 'down';
    },
    async ping() {
      const started = performance.now();
      await withRedis(() => client.ping());
      return performance.now() - started;
    },
    ready(timeoutMs = CONNECT_TIMEOUT_MS) {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(ok);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.once('ready', onReady);
      });
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
