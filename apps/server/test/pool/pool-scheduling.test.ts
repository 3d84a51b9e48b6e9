import { describe, expect, it } from 'vitest';
import { modelWorkflow, must, queueOk, ranOn, startPoolApp, submitAs } from './pool-kit.ts';

// Every job here needs checkpoint a, which only s1 has, one at a time: s1's start order is the queue's.
const serial = [
  { checkpoints: ['a.safetensors'], max_in_flight: 1, stepMs: 5 },
  { checkpoints: ['b.safetensors'] },
];

describe('pool: the gateway queue', () => {
  it('is fair: a user queueing 20 does not hold back another user’s single job', async () => {
    await using app = await startPoolApp(serial);
    await app.connected();
    const a = await app.createUser('a@example.com');
    const b = await app.createUser('b@example.com');
    const aIds: string[] = [];
    for (let i = 0; i < 20; i++)
      aIds.push(await queueOk(app, a.token, { workflow: modelWorkflow('a.safetensors', i) }));
    const s1 = must(app.sims[0]);
    const before = s1.stats.started.length;
    const bId = await queueOk(app, b.token, { workflow: modelWorkflow('a.safetensors', 99) });
    // Its place in the gateway queue is near the head, not behind A's backlog.
    const status = (await (await app.request(`/api/comfy/status/${bId}`, { token: b.token })).json()) as {
      queue_position: number | null;
    };
    expect(status.queue_position === null || status.queue_position <= 1).toBe(true);
    await Promise.all([...aIds, bId].map((id) => app.untilDone(id)));
    const after = s1.stats.started.slice(before);
    // B's job starts before A's third job after that point.
    expect(after.indexOf(bId)).toBeGreaterThanOrEqual(0);
    expect(after.indexOf(bId)).toBeLessThanOrEqual(2);
    expect(new Set(s1.stats.started).size).toBe(21);
  });

  it('runs higher priority first; admins set it at submit and later, users may not', async () => {
    await using app = await startPoolApp(serial);
    await app.connected();
    const a = await app.createUser('a@example.com');
    expect(
      (await submitAs(app, a.token, { workflow: modelWorkflow('a.safetensors', 1), priority: 5 })).status,
    ).toBe(403);
    const aIds: string[] = [];
    for (let i = 0; i < 6; i++)
      aIds.push(await queueOk(app, a.token, { workflow: modelWorkflow('a.safetensors', i) }));
    const s1 = must(app.sims[0]);
    const before = s1.stats.started.length;
    const urgent = await queueOk(app, app.adminToken, {
      workflow: modelWorkflow('a.safetensors', 50),
      priority: 10,
    });
    // Raised after submit: A's last job overtakes A's other waiting ones.
    const last = must(aIds.at(-1));
    expect(
      (
        await app.request(`/api/comfy/jobs/${last}`, {
          token: a.token,
          method: 'PATCH',
          json: { priority: 3 },
        })
      ).status,
    ).toBe(403);
    const patched = await app.request(`/api/comfy/jobs/${last}`, {
      token: app.adminToken,
      method: 'PATCH',
      json: { priority: 3 },
    });
    expect(patched.status).toBe(200);
    await Promise.all([...aIds, urgent].map((id) => app.untilDone(id)));
    const after = s1.stats.started.slice(before);
    expect(after.indexOf(urgent)).toBeLessThanOrEqual(1);
    expect(after.indexOf(last)).toBeLessThan(after.indexOf(urgent) + 3);
    const row = app.db.prepare('SELECT priority FROM jobs WHERE prompt_id = ?').get(last);
    expect(row).toEqual({ priority: 3 });
  });

  it('drains a server (no new jobs) and resumes it', async () => {
    await using app = await startPoolApp([
      { checkpoints: ['shared.safetensors'], stepMs: 5 },
      { checkpoints: ['shared.safetensors'], stepMs: 5 },
    ]);
    await app.connected();
    const u = await app.createUser('u@example.com');
    expect(
      (await app.request('/api/comfy/backends/s1/drain', { token: u.token, method: 'POST' })).status,
    ).toBe(403);
    const drained = await app.request('/api/comfy/backends/s1/drain', {
      token: app.adminToken,
      method: 'POST',
    });
    expect(await drained.json()).toEqual({ name: 's1', draining: true });
    const health = (await (await app.request('/api/comfy/health', { token: u.token })).json()) as {
      service: { backends: Array<{ name: string; draining: boolean }> };
    };
    expect(health.service.backends.find((b) => b.name === 's1')?.draining).toBe(true);
    const first = [];
    for (let i = 0; i < 4; i++)
      first.push(await queueOk(app, u.token, { workflow: modelWorkflow('shared.safetensors', i) }));
    await Promise.all(first.map((id) => app.untilDone(id)));
    expect(first.map((id) => ranOn(app, id))).toEqual(Array(4).fill([1]));

    const resumed = await app.request('/api/comfy/backends/s1/resume', {
      token: app.adminToken,
      method: 'POST',
    });
    expect(await resumed.json()).toEqual({ name: 's1', draining: false });
    const second = [];
    for (let i = 0; i < 4; i++)
      second.push(await queueOk(app, u.token, { workflow: modelWorkflow('shared.safetensors', 10 + i, 20) }));
    await Promise.all(second.map((id) => app.untilDone(id)));
    expect(second.flatMap((id) => ranOn(app, id))).toContain(0);
    expect(
      (await app.request('/api/comfy/backends/nope/drain', { token: app.adminToken, method: 'POST' })).status,
    ).toBe(404);
  });
});
