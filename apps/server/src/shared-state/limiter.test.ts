import { freePort } from '@comfy-gateway/test-infra';
import { describe, expect, it } from 'vitest';
import { memoryLimiters, redisLimiters } from './limiter.ts';
import { createRedisConnection } from './redis-connection.ts';
import { useTestRedis } from './test-redis.ts';

const shared = useTestRedis();

describe('limiters', () => {
  it('in memory: allows `limit` per window, says when to retry, and takes a refund back', async () => {
    const l = memoryLimiters('t', { limit: 2, windowMs: 60_000 });
    expect(await l.consume('a')).toEqual({ ok: true });
    expect(await l.consume('a')).toEqual({ ok: true });
    expect(await l.consume('a')).toEqual({ ok: false, retryAfterS: 60 });
    expect(await l.consume('b')).toEqual({ ok: true });
    const r = memoryLimiters('r', { limit: 1, windowMs: 60_000 });
    expect(await r.consume('a')).toEqual({ ok: true });
    await r.refund('a');
    expect(await r.consume('a')).toEqual({ ok: true });
  });

  it('in Redis: limiters of the same name on two instances share one count', async () => {
    const one = redisLimiters(shared.conn)('shared', { limit: 2, windowMs: 60_000 });
    const two = redisLimiters(shared.conn)('shared', { limit: 2, windowMs: 60_000 });
    const other = redisLimiters(shared.conn)('other', { limit: 2, windowMs: 60_000 });
    expect(await one.consume('u')).toEqual({ ok: true });
    expect(await two.consume('u')).toEqual({ ok: true });
    expect(await one.consume('u')).toMatchObject({ ok: false });
    expect(await other.consume('u')).toEqual({ ok: true });
  });

  it('in Redis: fails closed with REDIS_UNAVAILABLE when Redis does not answer', async () => {
    const dead = createRedisConnection(`redis://127.0.0.1:${await freePort()}`);
    try {
      const l = redisLimiters(dead)('x', { limit: 5, windowMs: 60_000 });
      await expect(l.consume('u')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      await expect(dead.ping()).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(dead.state).not.toBe('ready');
    } finally {
      await dead.close();
    }
  });
});
