import type { Redis } from 'ioredis';

// KEYS[1] lease, KEYS[2] fencing counter; ARGV[1] value (holder + per-acquisition nonce), ARGV[2] ttl ms.
// The token is INCR'd, floored at Redis' clock in ms so it still rises after an empty restart.
const ACQUIRE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local token = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if token < ms then
  token = ms
  redis.call('SET', KEYS[2], string.format('%d', token))
end
return token
`;

// 1 renewed, 0 the lease is gone, -1 someone else holds it.
const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return -1 end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The three lease scripts, sent by EVALSHA (ioredis falls back to EVAL after a restart). */
export function leaseScripts(redis: Redis) {
  if (!('leaseAcquire' in redis)) {
    redis.defineCommand('leaseAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    redis.defineCommand('leaseRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('leaseRelease', { numberOfKeys: 1, lua: RELEASE });
  }
  const call = redis as unknown as {
    leaseAcquire(lease: string, fence: string, holder: string, ttlMs: number): Promise<number>;
    leaseRenew(lease: string, holder: string, ttlMs: number): Promise<number>;
    leaseRelease(lease: string, holder: string): Promise<number>;
  };
  return {
    /** The fencing token when taken, 0 when someone holds it. */
    acquire: (key: string, holder: string, ttlMs: number) =>
      call.leaseAcquire(key, `${key}:fence`, holder, ttlMs),
    renew: (key: string, holder: string, ttlMs: number) => call.leaseRenew(key, holder, ttlMs),
    release: (key: string, holder: string) => call.leaseRelease(key, holder),
  };
}
