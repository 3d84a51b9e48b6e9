import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim } from '@comfy-gateway/comfy-sim';
import { startRedis } from '@comfy-gateway/test-infra';
import type { RedisInstance } from '@comfy-gateway/test-infra';
import { startTestApp } from '../fixture.ts';
import type { TestApp } from '../fixture.ts';

export interface TestCluster extends AsyncDisposable {
  redis: RedisInstance;
  sim: ComfySim;
  a: TestApp;
  b: TestApp;
  /** Waits until both instances' sockets to the simulator are up. */
  connected(): Promise<void>;
}

/** Polls a condition reached on another process's schedule (Redis reconnecting, a slot released). */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An instance's environment: one Redis, one simulator, quick reconnects. */
export function clusterEnv(redisUrl: string, simUrl: string): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    COMFY_ENABLED: 'true',
    COMFY_API_URL: simUrl,
    COMFY_TIMEOUT: '5',
    COMFY_RECONNECT_BASE_DELAY_S: '0.05',
    COMFY_RECONNECT_MAX_DELAY_S: '0.2',
    COMFY_HEALTH_INTERVAL_S: '0.5',
  };
}

/** A private Redis that `await using` stops. */
export async function startRedisFor(): Promise<RedisInstance & AsyncDisposable> {
  const redis = await startRedis();
  return Object.assign(redis, { [Symbol.asyncDispose]: () => redis.stop() });
}

/** A simulator that `await using` closes. */
export async function startSimFor(): Promise<ComfySim & AsyncDisposable> {
  const sim = await startComfySim({ stepMs: 2 });
  return Object.assign(sim, { [Symbol.asyncDispose]: () => sim.close() });
}

/** Two gateway instances on port 0 over one ROOT_DIR, one private Redis and one simulator (`stepMs` per sampler step). */
export async function startCluster(
  env: Record<string, string> = {},
  o: { stepMs?: number } = {},
): Promise<TestCluster> {
  const redis = await startRedis();
  const sim = await startComfySim({ stepMs: o.stepMs ?? 2 });
  const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-cluster-'));
  const common = { ...clusterEnv(redis.url, sim.url), ...env };
  const a = await startTestApp(common, { rootDir });
  const b = await startTestApp(common, { rootDir });
  return {
    redis,
    sim,
    a,
    b,
    async connected() {
      for (const t of [a, b])
        await until(
          () => t.services.comfy.connection?.watchdog.state === 'connected',
          'the simulator socket',
        );
    },
    async [Symbol.asyncDispose]() {
      await b[Symbol.asyncDispose]();
      await a[Symbol.asyncDispose]();
      await sim.close();
      await redis.stop();
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}
