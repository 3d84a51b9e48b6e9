export { freePort } from './free-port.ts';
export { hasPostgres, startPostgres } from './postgres-server.ts';
export type { PostgresInstance } from './postgres-server.ts';
export { hasRedis, startRedis } from './redis-server.ts';
export type { RedisInstance } from './redis-server.ts';
export { waitForPort } from './wait.ts';
export { tempDirs } from './temp-dirs.ts';
