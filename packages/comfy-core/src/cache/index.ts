export { contentHash, createTtlCache } from './ttl-cache.ts';
export type { CacheResult, SharedCacheEntry, SharedCacheStore, TtlCache } from './ttl-cache.ts';
