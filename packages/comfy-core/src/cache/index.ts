export { contentHash, createTtlCache } from './ttl-cache.ts';
export type { CacheResult, TtlCache } from './ttl-cache.ts';
