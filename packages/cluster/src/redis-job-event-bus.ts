import type { JobEventBus } from '@comfy-gateway/comfy-core';
import type { EventFanIn } from './event-fan-in.ts';
import type { RedisJobEventLog } from './redis-job-event-log.ts';

/**
 * comfy-core's `JobEventBus` over Redis: publish appends to the job's stream (a repeated id is
 * dropped there), subscribe goes through this instance's fan-in, backfill reads the stream once the
 * fan-in knows where its live reads start.
 */
export function createRedisJobEventBus(o: { log: RedisJobEventLog; fanIn: EventFanIn }): JobEventBus {
  return {
    async publish(promptId, event) {
      await o.log.append(promptId, event);
    },
    subscribe: (promptId, listener) => o.fanIn.follow(promptId, listener),
    async backfill(promptId, after) {
      await o.fanIn.ready(promptId);
      return o.log.readAfter(promptId, after);
    },
  };
}
