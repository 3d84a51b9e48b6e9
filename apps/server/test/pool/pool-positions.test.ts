import type { QueueState } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { modelWorkflow, queueOk, startPoolApp } from './pool-kit.ts';
import type { PoolTestApp } from './pool-kit.ts';

const slow = { checkpoints: ['shared.safetensors'], stepMs: 50 };
const job = (seed: number) => ({ workflow: modelWorkflow('shared.safetensors', seed, 60) });

const queueOf = async (app: PoolTestApp, token: string) =>
  (await (await app.request('/api/comfy/queue', { token })).json()) as QueueState;
const positionOf = async (app: PoolTestApp, token: string, id: string) =>
  (
    (await (await app.request(`/api/comfy/status/${id}`, { token })).json()) as {
      queue_position: number | null;
    }
  ).queue_position;
const runningCount = (app: PoolTestApp) =>
  app.pool.members.reduce(
    (n, m) => n + m.connection.tracker.activeSnapshots().filter((s) => s.status === 'running').length,
    0,
  );

describe('pool: queue positions are one sequence', () => {
  it('one server: what waits in ComfyUI first, then the gateway queue after it', async () => {
    await using app = await startPoolApp([slow]);
    await app.connected();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await queueOk(app, app.adminToken, job(i)));
    await expect.poll(() => runningCount(app)).toBe(1);
    const [, onServer, first, second] = ids;
    const q = await queueOf(app, app.adminToken);
    expect(q.running.map((x) => x.prompt_id)).toEqual([ids[0]]);
    expect(q.pending.map((x) => [x.prompt_id, x.position])).toEqual([
      [onServer, 0],
      [first, 1],
      [second, 2],
    ]);
    // One server is not named in the rows.
    expect([...q.running, ...q.pending].some((x) => 'backend' in x)).toBe(false);
    // Snapshots say the same (a job sent to ComfyUI learns its place there from ComfyUI's queue).
    for (const x of q.pending)
      await expect.poll(() => positionOf(app, app.adminToken, x.prompt_id ?? '')).toBe(x.position);
  });

  it('several servers: each server’s waiting jobs in its order, the gateway queue after all of them; others’ rows name their server', async () => {
    await using app = await startPoolApp([slow, slow]);
    await app.connected();
    const a = await app.createUser('a@example.com');
    const b = await app.createUser('b@example.com');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await queueOk(app, a.token, job(i)));
    await expect.poll(() => runningCount(app)).toBe(2);
    const q = await queueOf(app, a.token);
    const onServers = q.pending.filter((x) => x.backend !== undefined);
    const gateway = q.pending.filter((x) => x.backend === undefined);
    expect(onServers.map((x) => [x.backend, x.position]).sort()).toEqual([
      ['s1', 0],
      ['s2', 0],
    ]);
    expect(gateway.map((x) => [x.prompt_id, x.position])).toEqual([
      [ids[4], 2],
      [ids[5], 3],
    ]);
    expect(q.pending.slice(0, 2)).toEqual(onServers);
    for (const x of q.pending)
      await expect.poll(() => positionOf(app, a.token, x.prompt_id ?? '')).toBe(x.position);

    // Another user sees A's jobs without details, but with the server each one is on.
    const anon = await queueOf(app, b.token);
    expect(anon.running.map((x) => x.backend).sort()).toEqual(['s1', 's2']);
    expect(anon.running.every((x) => x.prompt_id === undefined && !x.mine && x.ours)).toBe(true);
    expect(anon.pending.map((x) => [x.backend, x.position])).toEqual([
      ...onServers.map((x) => [x.backend, x.position]),
      [undefined, 2],
      [undefined, 3],
    ]);
    expect(anon.pending.every((x) => x.prompt_id === undefined)).toBe(true);
  });
});
