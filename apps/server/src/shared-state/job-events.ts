import type { JobEventBus, TrackedEvent } from '@comfy-gateway/comfy-core';
import { createEventFanIn, createRedisJobEventBus, createRedisJobEventLog } from '@comfy-gateway/cluster';
import type { RedisJobEventLog } from '@comfy-gateway/cluster';
import type { Logger } from 'pino';
import type { RedisConnection } from './redis-connection.ts';

/** Job events shared by every instance: a Redis Stream per job, read by one fan-in per instance. */
export interface SharedJobEvents {
  bus: JobEventBus;
  log: RedisJobEventLog;
  /** Throws `REDIS_UNAVAILABLE` when Redis does not answer (before a stream from the bus is opened). */
  check(): Promise<void>;
  /** Hands an event to this instance's followers of a job without Redis (a `done` lost in a Redis restart). */
  deliverLocally(promptId: string, event: TrackedEvent): void;
  /** Followers here whose reads resumed after a Redis failure: `handler` gets their prompt ids. */
  onResync(handler: (promptIds: string[]) => void): void;
  close(): Promise<void>;
}

/**
 * The event log gets its own connection with the offline queue on (an append during a reconnect
 * waits instead of failing); the fan-in duplicates it for its one blocking reader.
 */
export function createSharedJobEvents(
  connection: RedisConnection,
  o: { name: string; logger?: Logger | undefined },
): SharedJobEvents {
  const redis = connection.client.duplicate({
    enableOfflineQueue: true,
    // Rides out a short reconnect; the fan-in's blocking reads must not hit the main connection's timeout.
    maxRetriesPerRequest: 5,
    commandTimeout: undefined,
  });
  redis.on('error', () => undefined); // the main connection logs Redis's state
  const log = createRedisJobEventLog(redis);
  const resyncs: ((promptIds: string[]) => void)[] = [];
  const fanIn = createEventFanIn({
    redis,
    log,
    name: o.name,
    onResync: (ids) => {
      for (const h of resyncs) h(ids);
    },
    onError: (where, err) => o.logger?.debug({ err, where }, 'shared job events'),
  });
  return {
    bus: createRedisJobEventBus({ log, fanIn }),
    log,
    async check() {
      await connection.ping();
    },
    deliverLocally: (promptId, event) => fanIn.deliverLocally(promptId, event),
    onResync: (handler) => void resyncs.push(handler),
    async close() {
      await fanIn.close();
      // A QUIT would wait in the offline queue for a Redis that is away: appends not sent are dropped.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
