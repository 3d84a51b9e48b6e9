export { LEASE_DEFAULTS, createLeaseKeeper, leaseHolder } from './lease-keeper.ts';
export type { Lease, LeaseClock, LeaseKeeper, LeaseKeeperOptions, LeaseLossReason } from './lease-keeper.ts';
export { createRedisJobEventLog, eventOfEntry } from './redis-job-event-log.ts';
export type { RedisJobEventLog, RedisJobEventLogOptions, StreamEntry } from './redis-job-event-log.ts';
export { createEventFanIn } from './event-fan-in.ts';
export type { EventFanIn, EventFanInOptions } from './event-fan-in.ts';
export { createRedisJobEventBus } from './redis-job-event-bus.ts';
export { streamFromBus } from './bus-stream.ts';
