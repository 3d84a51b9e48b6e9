import { describe, expect, it } from 'vitest';
import { appRouter, createCallerFactory, createContextInner } from '@comfy-gateway/api';
import { modelWorkflow, must, queueOk, startPoolApp } from './pool-kit.ts';

describe('pool: cancel, queue view and the tRPC twins', () => {
  it('cancels from the gateway queue and on a server; the queue shows the gateway order', async () => {
    await using app = await startPoolApp([
      { checkpoints: ['a.safetensors'], max_in_flight: 2, stepMs: 30 },
      { checkpoints: ['b.safetensors'] },
    ]);
    await app.connected();
    const u = await app.createUser('u@example.com');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await queueOk(app, u.token, { workflow: modelWorkflow('a.safetensors', i, 40) }));
    const tracker = app.pool.member('s1').connection.tracker;
    await expect.poll(() => tracker.get(must(ids[0]))?.status).toBe('running');
    const queue = (await (await app.request('/api/comfy/queue', { token: u.token })).json()) as {
      running: Array<{ prompt_id?: string; backend?: string }>;
      pending: Array<{ prompt_id?: string; position: number; backend?: string }>;
    };
    const gateway = queue.pending.filter((p) => p.backend === undefined);
    expect(gateway.map((p) => p.prompt_id)).toEqual(ids.slice(2));
    // After the one job waiting on s1 (position 0 there): one sequence.
    expect(queue.pending[0]).toMatchObject({ prompt_id: ids[1], position: 0, backend: 's1' });
    expect(gateway.map((p) => p.position)).toEqual([1, 2, 3]);

    // Waiting in the gateway queue: removed there, ComfyUI never sees it.
    const waiting = must(ids[4]);
    const c1 = await app.request(`/api/comfy/cancel/${waiting}`, { token: u.token, method: 'POST' });
    expect(await c1.json()).toEqual({ prompt_id: waiting, cancelled: true });
    expect((await app.untilDone(waiting)).status).toBe('cancelled');
    // Sent to s1: interrupted (or deleted) there.
    const sent = must(ids[0]);
    await app.request(`/api/comfy/cancel/${sent}`, { token: u.token, method: 'POST' });
    expect(['interrupted', 'cancelled']).toContain((await app.untilDone(sent)).status);
    await Promise.all(ids.map((id) => app.untilDone(id)));
    expect(must(app.sims[0]).stats.started).not.toContain(waiting);

    // tRPC: drain/resume/setPriority for admins only.
    const users = await app.services.auth.listUsers();
    const admin = users.find((x) => x.role === 'admin') ?? null;
    const user = users.find((x) => x.role === 'user') ?? null;
    const asAdmin = createCallerFactory(appRouter)(
      createContextInner({ services: app.services, user: admin }),
    );
    const asUser = createCallerFactory(appRouter)(createContextInner({ services: app.services, user }));
    await expect(asUser.comfy.drain({ name: 's2' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(asAdmin.comfy.drain({ name: 's2' })).resolves.toEqual({ name: 's2', draining: true });
    expect(app.pool.member('s2').draining).toBe(true);
    await expect(asAdmin.comfy.resume({ name: 's2' })).resolves.toEqual({ name: 's2', draining: false });
    await expect(asAdmin.comfy.setPriority({ prompt_id: must(ids[1]), priority: 7 })).resolves.toMatchObject({
      prompt_id: ids[1],
      priority: 7,
    });
    const health = await asUser.comfy.health();
    expect(health.service?.backends?.map((b) => b.name)).toEqual(['s1', 's2']);
  });
});
