import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRedis } from '@comfy-gateway/test-infra';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-db.ts';
import { WS_CLOSE_REVOKED } from '../../src/trpc/mount.ts';
import { loadConfig } from '../../src/env.ts';
import { createLogger } from '../../src/http/logger.ts';
import { createServices } from '../../src/services.ts';
import type { TestApp } from '../fixture.ts';
import { openRawWs, openTrpcSse } from '../security/security-kit.ts';
import { startCluster, until } from './cluster-fixture.ts';

const view = (t: TestApp, token: string) =>
  t.request('/api/comfy/view?filename=nothing.png&type=output', { token });

const login = (t: TestApp, email: string, password: string) =>
  t.request('/api/auth/login', { method: 'POST', json: { email, password } });

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

// A prompt id nobody has: the stream cap is checked before the procedure looks for it.
const NO_PROMPT = '00000000-0000-4000-8000-000000000000';

describe('limits shared by two instances through Redis', () => {
  it('gives a user N views across both instances, then 429 on either', async () => {
    await using c = await startCluster({ COMFY_VIEW_RATE_LIMIT_PER_MIN: '3' });
    const bob = await c.a.createUser('bob@example.com');
    const statuses = [];
    for (const t of [c.a, c.b, c.a]) statuses.push((await view(t, bob.token)).status);
    expect(statuses).toEqual([404, 404, 404]);
    for (const t of [c.b, c.a]) {
      const limited = await view(t, bob.token);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await errorCode(limited)).toBe('RATE_LIMITED');
    }
    // Another user has a count of their own.
    expect((await view(c.b, c.b.adminToken)).status).toBe(404);
  });

  it('counts failed logins across both instances', async () => {
    await using c = await startCluster({ LOGIN_RATE_LIMIT_PER_MIN: '3' });
    await c.a.createUser('carol@example.com');
    const statuses = [];
    for (const t of [c.a, c.b, c.a, c.b])
      statuses.push((await login(t, 'carol@example.com', 'wrong-pass-1')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await login(c.a, 'carol@example.com', 'user-password-1')).status).toBe(429);
  });

  it('caps open streams per user across both instances', async () => {
    await using c = await startCluster({ USER_MAX_STREAMS: '2' });
    const bob = await c.a.createUser('bob@example.com');
    const onA = await openRawWs(c.a, bob.token);
    expect((await onA.call('auth.me')).result?.type).toBe('data');
    const onB = await openRawWs(c.b, bob.token);
    expect((await onB.call('auth.me')).result?.type).toBe('data');
    expect(await c.a.services.auth.connections.countShared(bob.id)).toBe(2);

    const third = await openTrpcSse(c.a, bob.token, NO_PROMPT);
    expect(third.res.status).toBe(429);
    const refused = await openRawWs(c.b, bob.token);
    await refused.closed;
    expect(refused.responses[0]?.error?.json.data).toMatchObject({ code: 'RATE_LIMITED', httpStatus: 429 });

    // Closing the one on A frees a place on B.
    onA.ws.close();
    await onA.closed;
    await until(
      async () => (await c.b.services.auth.connections.countShared(bob.id)) === 1,
      'the slot release',
    );
    const again = await openRawWs(c.b, bob.token);
    expect((await again.call('auth.me')).result?.type).toBe('data');
    onB.ws.close();
    again.ws.close();
  });

  it('serves object_info that A reloaded to B from Redis once their copies expire', async () => {
    // Each instance loads on connect (the pool refreshes then); sharing pays when copies expire.
    await using c = await startCluster({ COMFY_OBJECT_INFO_TTL_S: '1' });
    await c.connected();
    const stats = (t: TestApp) => t.services.comfy.connection?.objectInfoStats;
    await until(() => (stats(c.a)?.loads ?? 0) >= 1 && (stats(c.b)?.loads ?? 0) >= 1, 'both first loads');
    const upstream = () => c.sim.stats.requests['GET /object_info'] ?? 0;
    // The TTL running out is the behaviour under test: no clock reaches into two servers.
    await new Promise((r) => setTimeout(r, 1100));
    const before = upstream();
    const sharedBefore = stats(c.b)?.sharedHits ?? 0;
    const fromA = await c.a.request('/api/comfy/object-info', { token: c.a.adminToken });
    expect(fromA.status).toBe(200);
    expect(upstream()).toBe(before + 1);
    const fromB = await c.b.request('/api/comfy/object-info', { token: c.a.adminToken });
    expect(fromB.status).toBe(200);
    expect(fromB.headers.get('etag')).toBe(fromA.headers.get('etag'));
    expect(upstream()).toBe(before + 1);
    expect(stats(c.b)?.sharedHits).toBe(sharedBefore + 1);
  });
});

describe('revocation across instances', () => {
  it('a logout on A closes the session’s WebSocket on B; a deactivation on A closes the rest', async () => {
    await using c = await startCluster();
    const bob = await c.a.createUser('bob@example.com');
    const second = await c.a.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'bob@example.com', password: 'user-password-1' },
    });
    const otherToken = ((await second.json()) as { token: string }).token;
    const onB = await openRawWs(c.b, bob.token);
    const otherOnB = await openRawWs(c.b, otherToken);
    expect((await onB.call('auth.me')).result?.type).toBe('data');
    expect((await otherOnB.call('auth.me')).result?.type).toBe('data');

    expect((await c.a.request('/api/auth/logout', { method: 'POST', token: bob.token })).status).toBe(204);
    expect(await onB.closed).toEqual({ code: WS_CLOSE_REVOKED, reason: 'logged out' });
    expect((await otherOnB.call('auth.me')).result?.type).toBe('data');

    const deactivated = await c.a.request(`/api/auth/users/${bob.id}`, {
      method: 'PATCH',
      token: c.a.adminToken,
      json: { active: false },
    });
    expect(deactivated.status).toBe(200);
    expect((await otherOnB.closed).code).toBe(WS_CLOSE_REVOKED);
    expect(c.b.services.auth.connections.countForUser(bob.id)).toBe(0);
  });
});

describe('when Redis goes away', () => {
  it('answers 503 REDIS_UNAVAILABLE where a shared limit is needed, goes unready, and recovers on its own', async () => {
    await using c = await startCluster();
    const bob = await c.a.createUser('bob@example.com');
    const ready = await c.a.request('/readyz');
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks['redis']).toMatchObject({
      ok: true,
      state: 'ready',
      latency_ms: expect.any(Number),
    });

    const redisUp = async () =>
      /^comfy_gateway_redis_up (\d)$/m.exec(await (await c.a.request('/metrics')).text())?.[1];
    expect(await redisUp()).toBe('1');
    await c.redis.kill({ hard: true });
    const unready = await c.b.request('/readyz');
    expect(unready.status).toBe(503);
    expect(((await unready.json()) as { checks: Record<string, unknown> }).checks['redis']).toEqual({
      ok: false,
      state: expect.any(String),
      detail: 'no answer',
    });
    const refusedView = await view(c.a, bob.token);
    expect(refusedView.status).toBe(503);
    expect(refusedView.headers.get('retry-after')).toBe('2');
    // Redis's address is not for users: the message says what, not where.
    expect(JSON.stringify(await refusedView.clone().json())).not.toContain(String(c.redis.port));
    expect(await errorCode(refusedView)).toBe('REDIS_UNAVAILABLE');
    const refusedLogin = await login(c.b, 'bob@example.com', 'user-password-1');
    expect(refusedLogin.status).toBe(503);
    expect(await errorCode(refusedLogin)).toBe('REDIS_UNAVAILABLE');
    const refusedStream = await openTrpcSse(c.a, bob.token, NO_PROMPT);
    expect(refusedStream.res.status).toBe(503);
    await until(async () => (await redisUp()) === '0', 'the gauge to see Redis gone');
    // What does not need Redis keeps working.
    expect((await c.a.request('/api/auth/me', { token: bob.token })).status).toBe(200);

    await c.redis.restart();
    await until(async () => (await c.a.request('/readyz')).status === 200, 'instance A to see Redis again');
    await until(async () => (await c.b.request('/readyz')).status === 200, 'instance B to see Redis again');
    expect((await view(c.a, bob.token)).status).toBe(404);
    expect((await login(c.b, 'bob@example.com', 'user-password-1')).status).toBe(200);
    const ws = await openRawWs(c.b, bob.token);
    expect((await ws.call('auth.me')).result?.type).toBe('data');
    ws.ws.close();
  });

  it('starts while Redis is down (unready, 503 where needed) and recovers once it is up', async () => {
    const redis = await startRedis();
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-redis-down-'));
    const db = await openDatabase({ rootDir });
    try {
      await redis.kill({ hard: true });
      const config = loadConfig({ ROOT_DIR: rootDir, LOG_LEVEL: 'silent', REDIS_URL: redis.url });
      const services = await createServices(config, db, {
        defaultMetrics: false,
        logger: createLogger('silent'),
      });
      try {
        await services.auth.createUser({
          email: 'dora@example.com',
          password: 'user-password-1',
          role: 'user',
        });
        const tryLogin = () => services.auth.login('dora@example.com', 'user-password-1', { clientIp: 'x' });
        const redisCheck = async () => (await services.shared.readiness?.())?.ok === true;
        expect(await redisCheck()).toBe(false);
        await expect(tryLogin()).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
        await redis.restart();
        await until(redisCheck, 'Redis to be reachable');
        await expect(tryLogin()).resolves.toMatchObject({ user: { email: 'dora@example.com' } });
      } finally {
        await services.comfy.close();
        await services.shared.close();
      }
    } finally {
      await db.destroy();
      await redis.stop();
      await rm(rootDir, { recursive: true, force: true });
    }
  });
});
