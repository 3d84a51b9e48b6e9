import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { SharedCacheStore } from '@comfy-gateway/comfy-core';
import type { Logger } from 'pino';
import type { ReadinessResult } from '../http/probes.ts';
import { createRedisCacheStore } from './cache-store.ts';
import { memoryLimiters, redisLimiters } from './limiter.ts';
import type { LimiterFactory } from './limiter.ts';
import { createSharedJobEvents } from './job-events.ts';
import type { SharedJobEvents } from './job-events.ts';
import { createRedisConnection } from './redis-connection.ts';
import type { RedisConnection, RedisState } from './redis-connection.ts';
import { createRedisRevocations, localRevocations } from './revocations.ts';
import type { RevocationBus } from './revocations.ts';
import { createMemoryStreamSlots, createRedisStreamSlots } from './stream-slots.ts';
import type { StreamSlots } from './stream-slots.ts';

// Bounds the start: an instance whose Redis is away starts degraded rather than hanging.
const START_WAIT_MS = 2000;

/**
 * What instances share: limits, the per-user stream count and the object_info cache. Without
 * `REDIS_URL` all of it lives in this process, exactly as a single gateway needs.
 */
export interface SharedState {
  mode: 'memory' | 'redis';
  /** This process among the instances (lease holder id, reply channel, event reader name). */
  instanceId: string;
  /** The shared connection (leases and calls between instances); null without Redis. */
  redis: RedisConnection | null;
  limiters: LimiterFactory;
  streamSlots: StreamSlots;
  /** Logout, token revocation and deactivation reach the streams held on other instances. */
  revocations: RevocationBus;
  /** Job events every instance sees (Redis Streams); null: the pool's own buffers only. */
  jobEvents: SharedJobEvents | null;
  /** Where object_info is shared; null keeps it per process. */
  cacheStore: SharedCacheStore | null;
  /** The `/readyz` check of Redis (state and round trip); null without Redis. */
  readiness: (() => Promise<ReadinessResult>) | null;
  /** The Redis connection's state now; null without Redis. */
  redisState(): RedisState | null;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  redisUrl: string | null;
  logger?: Logger;
}

/** Unique per process start: the pid for people reading logs, a random part for uniqueness. */
const newInstanceId = () => `${process.pid}-${randomUUID().slice(0, 8)}`;

/** Builds the shared state; with Redis it waits briefly for the first connection (and starts degraded without). */
export async function createSharedState(opts: SharedStateOptions): Promise<SharedState> {
  if (opts.redisUrl === null) {
    const streamSlots = createMemoryStreamSlots();
    return {
      mode: 'memory',
      instanceId: newInstanceId(),
      redis: null,
      limiters: memoryLimiters,
      streamSlots,
      revocations: localRevocations,
      jobEvents: null,
      cacheStore: null,
      readiness: null,
      redisState: () => null,
      close: () => Promise.resolve(streamSlots.close()),
    };
  }
  const log = opts.logger?.child({ component: 'redis' });
  const connection = createRedisConnection(opts.redisUrl, log);
  const up = await connection.ready();
  if (!up) log?.warn('redis not reachable at start; routes that need it answer 503 until it is');
  const streamSlots = createRedisStreamSlots(connection);
  const instanceId = newInstanceId();
  const jobEvents = createSharedJobEvents(connection, {
    name: instanceId,
    logger: log,
  });
  const revocations = createRedisRevocations(connection, (err) =>
    log?.warn({ err }, 'revocation not shared with the other instances'),
  );
  // Subscribed before the first request, so no revocation from another instance is missed.
  if (up) {
    const stop = new AbortController();
    await Promise.race([revocations.listening, delay(START_WAIT_MS, undefined, { signal: stop.signal })]);
    stop.abort();
  }
  // Named, so a timed-out check still reports as `redis`.
  const readiness = async function redis(): Promise<ReadinessResult> {
    try {
      const latency = await connection.ping();
      return {
        name: 'redis',
        ok: true,
        state: connection.state,
        latency_ms: Math.round(latency * 100) / 100,
      };
    } catch {
      // /readyz is public: the cause (it names the host) is logged by the connection instead.
      return { name: 'redis', ok: false, state: connection.state, detail: 'no answer' };
    }
  };
  return {
    mode: 'redis',
    instanceId,
    redis: connection,
    limiters: redisLimiters(connection),
    streamSlots,
    revocations,
    jobEvents,
    cacheStore: createRedisCacheStore(connection),
    readiness,
    redisState: () => connection.state,
    async close() {
      streamSlots.close();
      await jobEvents.close();
      await revocations.close();
      await connection.close();
    },
  };
}
