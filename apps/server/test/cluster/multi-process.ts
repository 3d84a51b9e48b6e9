import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim } from '@comfy-gateway/comfy-sim';
import type { LoginResponse } from '@comfy-gateway/schema';
import { startPostgres, startRedis } from '@comfy-gateway/test-infra';
import type { PostgresInstance, RedisInstance } from '@comfy-gateway/test-infra';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { cleanupStack } from './cleanup-stack.ts';
import { until } from './cluster-fixture.ts';
import { startInstance } from './gateway-instance.ts';
import type { GatewayInstance } from './gateway-instance.ts';

export const CLUSTER_ADMIN = { email: 'cluster-admin@example.com', password: 'cluster-admin-password-1' };
const USER_PASSWORD = 'cluster-user-password-1';

export interface ClusterUser {
  id: number;
  email: string;
  /** A session token (made by a login on the instance given). */
  token: string;
}

export interface MultiCluster extends AsyncDisposable {
  redis: RedisInstance;
  postgres: PostgresInstance;
  databaseUrl: string;
  rootDir: string;
  /** Two simulators, named `sim-1` and `sim-2` in COMFY_BACKENDS. */
  sims: readonly [ComfySim, ComfySim];
  /** Three instances A, B, C (separate processes). */
  instances: readonly [GatewayInstance, GatewayInstance, GatewayInstance];
  a: GatewayInstance;
  b: GatewayInstance;
  c: GatewayInstance;
  adminToken: string;
  /** Creates a user (as the admin, on `on`) and logs in on `loginOn`. */
  createUser(email: string, on?: GatewayInstance, loginOn?: GatewayInstance): Promise<ClusterUser>;
  /** Sets a user's own cap on unfinished jobs (as the admin, on `on`). */
  setJobCap(user: ClusterUser, cap: number, on?: GatewayInstance): Promise<void>;
  /** An API token for the holder of `sessionToken`, made on `on`. */
  createToken(on: GatewayInstance, sessionToken: string): Promise<string>;
  /** The ledger, read straight from PostgreSQL. */
  ledger(): Promise<Map<string, string>>;
  /** The ledger once every one of `ids` is `completed`, or as it stands after `ms` (the caller asserts). */
  ledgerOnceCompleted(ids: readonly string[], ms: number): Promise<Map<string, string>>;
  /** Waits until exactly one live instance says `holder` and every other live one `standby`. */
  settledHolder(ms?: number): Promise<GatewayInstance>;
  /** The most upstream WebSockets each simulator had at once since the start (sampled every 5 ms). */
  upstreamPeaks(): [number, number];
  /** The upstream WebSockets each simulator has now. */
  upstreamNow(): [number, number];
  /** Output tails of every instance, for an assertion's message. */
  diagnostics(): string;
}

export interface MultiClusterOptions {
  /** Extra environment for every instance (limits, caps). */
  env?: Record<string, string>;
  /** Simulator delay per sampler step. */
  stepMs?: number;
  /** `max_in_flight` of each server. */
  maxInFlight?: number;
}

/** A busy run: fast steps, and caps far above what one user submits and streams in it. */
export const BUSY_RUN: MultiClusterOptions = {
  stepMs: 5,
  env: { USER_MAX_ACTIVE_JOBS: '1000', USER_MAX_STREAMS: '1000' },
};

/**
 * One cluster for the tests of a file: started before them (three gateway processes take a
 * while), torn down after. The getter throws when the cluster did not start.
 */
export function useMultiCluster(o: MultiClusterOptions): () => MultiCluster {
  let c: MultiCluster | undefined;
  beforeAll(async () => {
    c = await startMultiCluster(o);
  }, 120_000);
  afterAll(async () => {
    await c?.[Symbol.asyncDispose]();
  });
  return () => {
    if (!c) throw new Error('the cluster did not start');
    return c;
  };
}

/**
 * A private Redis and PostgreSQL, two simulators in this process and three gateway processes over
 * them with one ROOT_DIR. A failure while starting tears down what had started.
 */
export async function startMultiCluster(o: MultiClusterOptions = {}): Promise<MultiCluster> {
  const cleanup = cleanupStack();
  try {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    cleanup.push(() => redis.stop());
    cleanup.push(() => postgres.stop());
    const sims = [
      await startComfySim({ stepMs: o.stepMs ?? 2 }),
      await startComfySim({ stepMs: o.stepMs ?? 2 }),
    ] as const;
    for (const sim of sims) cleanup.push(() => sim.close());
    // Sampled from before the first gateway starts, so a socket opened at any time is seen.
    const upstreamNow = () =>
      [sims[0].stats.wsConnections(), sims[1].stats.wsConnections()] as [number, number];
    const peaks: [number, number] = [0, 0];
    const sampler = setInterval(() => {
      const now = upstreamNow();
      peaks[0] = Math.max(peaks[0], now[0]);
      peaks[1] = Math.max(peaks[1], now[1]);
    }, 5);
    cleanup.push(() => Promise.resolve(clearInterval(sampler)));
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-multi-'));
    cleanup.push(() => rm(rootDir, { recursive: true, force: true }));
    const databaseUrl = await postgres.createDatabase('cluster');
    const backends = sims.map((s, i) => ({
      name: `sim-${i + 1}`,
      url: s.url,
      max_in_flight: o.maxInFlight ?? 2,
    }));
    const env: Record<string, string> = {
      ROOT_DIR: rootDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      // spawnGateway reads the URL from the "listening" line.
      LOG_LEVEL: 'info',
      COMFY_ENABLED: 'true',
      COMFY_BACKENDS: JSON.stringify(backends),
      COMFY_TIMEOUT: '5',
      COMFY_RECONNECT_BASE_DELAY_S: '0.05',
      COMFY_RECONNECT_MAX_DELAY_S: '0.2',
      COMFY_HEALTH_INTERVAL_S: '0.5',
      ...o.env,
    };
    // All three at once: migrations take an advisory lock; only A makes the first admin (no race on it).
    const started: GatewayInstance[] = [];
    cleanup.push(() => Promise.all(started.map((i) => i.kill())));
    const starting = [
      {
        name: 'A',
        env: { ...env, ADMIN_EMAIL: CLUSTER_ADMIN.email, ADMIN_PASSWORD: CLUSTER_ADMIN.password },
      },
      { name: 'B', env },
      { name: 'C', env },
    ].map((o) =>
      startInstance(o.name, o.env).then((i) => {
        started.push(i);
        return i;
      }),
    );
    // Settled, not all: a start that fails must not leave another still starting past the cleanup.
    const results = await Promise.allSettled(starting);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b, c] = started.sort((x, y) => x.name.localeCompare(y.name)) as [
      GatewayInstance,
      GatewayInstance,
      GatewayInstance,
    ];
    const instances = [a, b, c] as const;

    const ledgerClient = new pg.Client({ connectionString: databaseUrl });
    await ledgerClient.connect();
    cleanup.push(() => ledgerClient.end());
    const readLedger = async () => {
      const { rows } = await ledgerClient.query<{ prompt_id: string; status: string }>(
        'SELECT prompt_id, status FROM jobs',
      );
      return new Map(rows.map((r) => [r.prompt_id, r.status]));
    };

    const login = async (on: GatewayInstance, email: string, password: string) => {
      const res = await on.request('/api/auth/login', { method: 'POST', json: { email, password } });
      if (res.status !== 200) throw new Error(`login on ${on.name}: ${res.status} ${await res.text()}`);
      return (await res.json()) as LoginResponse;
    };
    const adminToken = (await login(a, CLUSTER_ADMIN.email, CLUSTER_ADMIN.password)).token;

    return {
      redis,
      postgres,
      databaseUrl,
      rootDir,
      sims,
      instances,
      a,
      b,
      c,
      adminToken,
      async createUser(email, on = a, loginOn = on) {
        const res = await on.request('/api/auth/users', {
          method: 'POST',
          token: adminToken,
          json: { email, password: USER_PASSWORD, role: 'user' },
        });
        if (res.status !== 201) throw new Error(`user on ${on.name}: ${res.status} ${await res.text()}`);
        const { user, token } = await login(loginOn, email, USER_PASSWORD);
        return { id: user.id, email, token };
      },
      async setJobCap(user, cap, on = a) {
        const res = await on.request(`/api/auth/users/${user.id}`, {
          method: 'PATCH',
          token: adminToken,
          json: { max_active_jobs: cap },
        });
        if (res.status !== 200) throw new Error(`cap on ${on.name}: ${res.status} ${await res.text()}`);
      },
      async createToken(on, sessionToken) {
        const res = await on.request('/api/auth/tokens', {
          method: 'POST',
          token: sessionToken,
          json: { name: 'cluster-test' },
        });
        if (res.status !== 201) throw new Error(`token on ${on.name}: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { token: string }).token;
      },
      ledger: readLedger,
      async ledgerOnceCompleted(ids, ms) {
        let ledger = new Map<string, string>();
        await until(
          async () => {
            ledger = await readLedger();
            return ids.every((id) => ledger.get(id) === 'completed');
          },
          'every job completed in the ledger',
          ms,
        ).catch(() => undefined);
        return ledger;
      },
      async settledHolder(ms = 10_000) {
        let holder: GatewayInstance | undefined;
        let seen = '';
        await until(
          async () => {
            const live = instances.filter((i) => i.alive());
            const roles = await Promise.all(live.map((i) => i.dispatchRole().catch(() => 'unreachable')));
            seen = live.map((i, k) => `${i.name}: ${roles[k] ?? 'no dispatch check'}`).join(', ');
            const holders = live.filter((_, k) => roles[k] === 'holder');
            holder = holders[0];
            return holders.length === 1 && roles.filter((r) => r === 'standby').length === live.length - 1;
          },
          'exactly one dispatch holder among the live instances',
          ms,
        ).catch((err: unknown) => {
          throw new Error(`${String(err)} (readyz dispatch: ${seen})`);
        });
        return holder as GatewayInstance;
      },
      upstreamPeaks: () => [peaks[0], peaks[1]],
      upstreamNow,
      diagnostics() {
        return instances.map((i) => `--- ${i.name} (alive: ${i.alive()})\n${i.tail()}`).join('\n');
      },
      [Symbol.asyncDispose]: () => cleanup.run(),
    };
  } catch (err) {
    await cleanup.run().catch(() => undefined);
    throw err;
  }
}
