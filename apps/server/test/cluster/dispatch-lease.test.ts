import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import { startPostgres, startRedis } from '@comfy-gateway/test-infra';
import type { PostgresInstance, RedisInstance } from '@comfy-gateway/test-infra';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPATCH_LEASE_KEY } from '../../src/comfy/dispatch-role.ts';
import { readSse } from '../comfy-fixture.ts';
import { startTestApp } from '../fixture.ts';
import type { TestApp } from '../fixture.ts';
import { clusterEnv, until } from './cluster-fixture.ts';

const LEASE = { ttlMs: 1500, renewEveryMs: 400, retryEveryMs: 200 };
const JOB = { caption: 'a lighthouse at dusk', width: 64, height: 64, steps: 20 };

let redis: RedisInstance;
let postgres: PostgresInstance;
beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});
afterAll(async () => {
  await Promise.all([redis.stop(), postgres.stop()]);
});

/** Two instances over one PostgreSQL database, one Redis and one simulator: a cluster. */
async function cluster(o: { stepMs?: number; env?: Record<string, string>; lease?: typeof LEASE } = {}) {
  const sim = await startComfySim({ stepMs: o.stepMs ?? 2 });
  const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-lease-'));
  await redis.restart(); // an empty Redis per test: no lease or client id left from the last
  const env = { ...clusterEnv(redis.url, sim.url), DATABASE_URL: await postgres.createDatabase(), ...o.env };
  const a = await startTestApp(env, { rootDir, leaseTiming: o.lease ?? LEASE });
  const b = await startTestApp(env, { rootDir, leaseTiming: o.lease ?? LEASE });
  const apps = [a, b];
  const holder = async (): Promise<TestApp> => {
    await until(() => apps.some((t) => t.services.comfy.role === 'holder'), 'a lease holder');
    return apps.find((t) => t.services.comfy.role === 'holder') as TestApp;
  };
  const h = await holder();
  await until(() => h.services.comfy.pool?.bestState() === 'connected', 'the holder connected');
  return {
    sim,
    apps,
    holder,
    standby: () => apps.find((t) => t.services.comfy.role === 'standby') as TestApp,
    async [Symbol.asyncDispose]() {
      for (const t of apps) await Promise.resolve(t[Symbol.asyncDispose]()).catch(() => undefined);
      await sim.close();
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}

async function submit(t: TestApp, token: string): Promise<string> {
  const res = await t.request('/api/comfy/text2img', { token, method: 'POST', json: JOB });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

describe('the dispatch lease: one instance follows the ComfyUI servers', () => {
  it('one holder, one upstream socket; a job submitted and streamed on the standby completes', async () => {
    await using c = await cluster();
    const holder = await c.holder();
    const standby = c.standby();
    expect(standby.services.comfy.role).toBe('standby');
    expect(c.sim.stats.wsConnections()).toBe(1);

    const ready = await (await standby.request('/readyz')).json();
    expect(ready).toMatchObject({ status: 'ok', checks: { dispatch: { ok: true, detail: 'standby' } } });
    expect(await (await holder.request('/readyz')).json()).toMatchObject({
      checks: { dispatch: { detail: 'holder' } },
    });

    const bob = await standby.createUser('bob@example.com');
    const eve = await standby.createUser('eve@example.com');
    const id = await submit(standby, bob.token);
    const events = await readSse(await standby.request(`/api/comfy/stream/${id}`, { token: bob.token }));
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data).toMatchObject({ snapshot: { status: 'completed' } });
    // The same status on both instances (the ended job from the ledger), accepted at one time.
    const statusOn = async (t: TestApp) =>
      (await (await t.request(`/api/comfy/status/${id}`, { token: bob.token })).json()) as {
        status: string;
        created_at: number;
      };
    const onStandby = await statusOn(standby);
    expect(onStandby).toMatchObject({ status: 'completed' });
    expect(await statusOn(holder)).toEqual(onStandby);
    const record = (await (await standby.request(`/api/comfy/jobs/${id}`, { token: bob.token })).json()) as {
      created_at: number;
    };
    expect(onStandby.created_at).toBe(record.created_at);
    // The same answers on both; nothing for another user on either.
    for (const t of c.apps) {
      expect((await t.request(`/api/comfy/status/${id}`, { token: eve.token })).status).toBe(404);
      expect((await t.request(`/api/comfy/stream/${id}`, { token: eve.token })).status).toBe(404);
    }
    // Health on the standby is the holder's view of the servers.
    const health = await (await standby.request('/api/comfy/health', { token: bob.token })).json();
    expect(health).toMatchObject({ service: { connection_state: 'connected' } });
    expect(c.sim.stats.wsConnections()).toBe(1);
  });

  it('cancel and the queue answered on the standby by the holder; a second user cannot cancel', async () => {
    // Two jobs on the server at a time (max_in_flight): the rest wait in the holder's gateway queue.
    await using c = await cluster({ stepMs: 40 });
    const standby = c.standby();
    const bob = await standby.createUser('bob@example.com');
    const eve = await standby.createUser('eve@example.com');
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await submit(standby, bob.token));
    const last = ids.at(-1) as string;
    const queue = (await (await standby.request('/api/comfy/queue', { token: bob.token })).json()) as {
      pending: { prompt_id?: string }[];
    };
    expect(queue.pending.some((p) => p.prompt_id === last)).toBe(true);

    const denied = await standby.request(`/api/comfy/cancel/${last}`, { token: eve.token, method: 'POST' });
    expect(denied.status).toBe(404);
    const res = await standby.request(`/api/comfy/cancel/${last}`, { token: bob.token, method: 'POST' });
    expect(await res.json()).toEqual({ prompt_id: last, cancelled: true });
    const holder = await c.holder();
    await expect(holder.services.comfy.waitForEnd(last)).resolves.toMatchObject({ status: 'cancelled' });
    for (const id of ids.slice(0, -1))
      await expect(standby.services.comfy.waitForEnd(id)).resolves.toMatchObject({ status: 'completed' });
  });

  it('the holder loses its lease mid-stream: its open stream carries on from the shared events to done', async () => {
    await using c = await cluster({ stepMs: 40 });
    const first = await c.holder();
    const bob = await first.createUser('bob@example.com');
    const id = await submit(first, bob.token);
    let lost = false;
    const admin = new Redis(redis.url);
    const events = await readSse(
      await first.request(`/api/comfy/stream/${id}`, { token: bob.token }),
      Infinity,
      (m) => {
        if (lost || m.data.type !== 'status' || m.data.snapshot.status !== 'running') return;
        lost = true;
        // The key gone (as after an empty Redis restart): the holder's next renewal finds no lease.
        void admin.del(DISPATCH_LEASE_KEY);
      },
    );
    admin.disconnect();
    expect(lost).toBe(true);
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data).toMatchObject({ snapshot: { status: 'completed' } });
    const ids = events.map((e) => Number(e.id)).filter((n) => n > 0);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    await c.holder();
  });

  it('Redis restarted empty frees the lease at once: the new holder waits for the old one, nothing runs twice', async () => {
    // The old holder renews rarely, the other tries often: without the wait both dispatch for a while.
    await using c = await cluster({
      stepMs: 3,
      env: { USER_MAX_ACTIVE_JOBS: '100' },
      lease: { ttlMs: 4000, renewEveryMs: 1500, retryEveryMs: 50 },
    });
    const first = await c.holder();
    const bob = await first.createUser('bob@example.com');
    // Two on the server, the rest in the old holder's gateway queue when Redis goes.
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await submit(first, bob.token));
    await redis.kill({ hard: true });
    await redis.restart();
    const statusOf = async (id: string) =>
      (
        (await (await first.request(`/api/comfy/jobs/${id}`, { token: bob.token })).json()) as {
          status?: string;
        }
      ).status;
    await until(
      async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'completed'),
      'every job completed',
      30_000,
    );
    const runs = ids.map((id) => c.sim.stats.started.filter((x) => x === id).length);
    expect(runs).toEqual(ids.map(() => 1));
  });

  it('the holder goes away mid-run: the standby takes over, and every job completes exactly once', async () => {
    await using c = await cluster({ stepMs: 10 });
    const first = await c.holder();
    const other = c.apps.find((t) => t !== first) as TestApp;
    const bob = await other.createUser('bob@example.com');
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await submit(i % 2 ? other : first, bob.token));
    let maxSockets = 0;
    const sampler = setInterval(() => (maxSockets = Math.max(maxSockets, c.sim.stats.wsConnections())), 5);
    const gone = Date.now();
    await first[Symbol.asyncDispose]();
    c.apps.splice(c.apps.indexOf(first), 1);
    await until(() => other.services.comfy.role === 'holder', 'the takeover', 10_000);
    expect(Date.now() - gone).toBeLessThan(10_000);
    for (const id of ids)
      await expect(other.services.comfy.waitForEnd(id)).resolves.toMatchObject({ status: 'completed' });
    clearInterval(sampler);
    expect(maxSockets).toBeLessThanOrEqual(1);
    // Each prompt ran once: one history entry per id on the one server.
    const history = (await (await fetch(`${c.sim.url}/history`)).json()) as Record<string, unknown>;
    for (const id of ids) expect(Object.keys(history).filter((k) => k === id)).toHaveLength(1);
  });
});
