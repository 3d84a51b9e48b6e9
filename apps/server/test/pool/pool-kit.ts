import { startComfySim } from '@comfy-gateway/comfy-sim';
import { txt2img } from '@comfy-gateway/comfy-sim/conformance';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import type { ComfyPool } from '@comfy-gateway/comfy-core';
import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';
import { expect } from 'vitest';
import { startTestApp } from '../fixture.ts';
import type { TestApp } from '../fixture.ts';

export interface PoolTestApp extends TestApp {
  sims: ComfySim[];
  pool: ComfyPool;
  /** Waits until every server named (default: all) is connected and its object_info is known. */
  connected(names?: string[]): Promise<void>;
  /** Waits for the job's `done` event; returns its final snapshot. */
  untilDone(promptId: string): Promise<JobSnapshot>;
  /** Every event of the job so far, from the start of its stream. */
  events(promptId: string): Promise<Array<{ id: string; event: StreamEvent }>>;
}

/** Servers s1, s2, ... (one simulator each) behind one gateway; `await using` stops all. */
export async function startPoolApp(
  sims: Array<ComfySimOptions & { max_in_flight?: number; weight?: number }>,
  env: Record<string, string> = {},
): Promise<PoolTestApp> {
  const started = await Promise.all(
    sims.map(({ max_in_flight: _m, weight: _w, ...o }) => startComfySim({ stepMs: 2, ...o })),
  );
  const backends = started.map((s, i) => ({
    name: `s${i + 1}`,
    url: s.url,
    ...(sims[i]?.max_in_flight ? { max_in_flight: sims[i].max_in_flight } : {}),
    ...(sims[i]?.weight ? { weight: sims[i].weight } : {}),
  }));
  const app = await startTestApp({
    COMFY_ENABLED: 'true',
    COMFY_BACKENDS: JSON.stringify(backends),
    COMFY_TIMEOUT: '5',
    COMFY_RECONNECT_BASE_DELAY_S: '0.05',
    COMFY_RECONNECT_MAX_DELAY_S: '0.2',
    COMFY_RECONNECT_MAX_ATTEMPTS: '3',
    COMFY_HEALTH_INTERVAL_S: '0.5',
    ...env,
  });
  const pool = app.services.comfy.pool;
  if (!pool) throw new Error('expected a pool');
  const dispose = app[Symbol.asyncDispose].bind(app);
  return Object.assign(app, {
    sims: started,
    pool,
    async connected(names?: string[]) {
      const want = pool.members.filter((m) => !names || names.includes(m.name));
      const deadline = Date.now() + 10_000;
      while (!want.every((m) => m.connection.watchdog.state === 'connected' && m.objectInfo !== null)) {
        if (Date.now() > deadline) throw new Error('the pool never connected');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async untilDone(promptId: string) {
      for await (const e of pool.stream(promptId)) if (e.event.type === 'done') return e.event.snapshot;
      throw new Error(`stream of ${promptId} ended without done`);
    },
    async events(promptId: string) {
      const out: Array<{ id: string; event: StreamEvent }> = [];
      const ac = new AbortController();
      const s = await pool.openStream(promptId, { signal: ac.signal });
      if (!s) return out;
      // Only what is buffered now: stop at the first live wait.
      setTimeout(() => ac.abort(), 50);
      for await (const e of s) out.push(e);
      return out;
    },
    async [Symbol.asyncDispose]() {
      await dispose();
      await Promise.all(started.map((s) => s.close()));
    },
  });
}

/** The sampler graph at 64 px on a given checkpoint: runs about `steps * stepMs`. */
export const modelWorkflow = (ckpt: string, seed: number, steps = 4) =>
  txt2img({ ckpt, seed, steps, size: 64 });

export const submitAs = async (app: PoolTestApp, token: string, body: Record<string, unknown>) =>
  app.request('/api/comfy/queue', { token, method: 'POST', json: body });

/** Submits and expects 200; returns the prompt id. */
export async function queueOk(
  app: PoolTestApp,
  token: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await submitAs(app, token, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

/** Which simulator started the prompt (index), or -1. */
export const ranOn = (app: PoolTestApp, promptId: string): number[] =>
  app.sims.flatMap((s, i) => s.stats.started.filter((id) => id === promptId).map(() => i));

/** The value, or the test fails here (no non-null assertions in tests). */
export function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
