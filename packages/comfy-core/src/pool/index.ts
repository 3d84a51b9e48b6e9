export { createComfyPool } from './pool.ts';
export type { ComfyPool, ComfyPoolOptions, PoolBackend } from './pool.ts';
export { createDispatcher } from './dispatcher.ts';
export type { Dispatcher } from './dispatcher.ts';
export { orderQueue } from './fair-order.ts';
export type { QueueEntry } from './fair-order.ts';
export { mergeObjectInfo, missingCapabilities } from './capability.ts';
export type { PendingJob, PoolJob, PoolMember, PoolRepository } from './pool-types.ts';
