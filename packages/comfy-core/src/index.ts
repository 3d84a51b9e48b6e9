export { GatewayError, isGatewayError } from './errors.ts';
export * from './client/index.ts';
export * from './cache/index.ts';
export * from './tracker/index.ts';
export * from './watchdog/index.ts';
export { createComfyConnection } from './connection.ts';
export type { ComfyConnection, ComfyConnectionOptions } from './connection.ts';
export type * from './types.ts';
export * from './builder/index.ts';
