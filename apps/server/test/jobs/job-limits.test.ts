import { describe, expect, it } from 'vitest';
import { samplerWorkflow, startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import { json, ledgerRows, submit, submitOk } from './job-kit.ts';

const errorOf = async (res: Response) =>
  (await json<{ error: { code: string; message: string } }>(res)).error;

describe('job limits', () => {
  it('caps each user\u2019s unfinished jobs (429 with Retry-After); an admin raises one user\u2019s cap', async () => {
    await using app = await startComfyApp({ stepMs: 50 }, { USER_MAX_ACTIVE_JOBS: '2' });
    await app.connected();
    const a = await app.createUser('a@example.com');
    const b = await app.createUser('b@example.com');
    await submitOk(app, a.token, samplerWorkflow(1, 100));
    await submitOk(app, a.token, samplerWorkflow(2, 100));
    const third = await submit(app, a.token, samplerWorkflow(3, 100));
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await errorOf(third)).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('USER_MAX_ACTIVE_JOBS'),
    });
    // Another user has a cap of their own.
    await submitOk(app, b.token, samplerWorkflow(4, 100));

    const patch = await app.request(`/api/auth/users/${a.id}`, {
      token: app.adminToken,
      method: 'PATCH',
      json: { max_active_jobs: 3 },
    });
    expect(patch.status).toBe(200);
    expect(await json(patch)).toMatchObject({ id: a.id, max_active_jobs: 3 });
    await submitOk(app, a.token, samplerWorkflow(5, 100));
    expect((await submit(app, a.token, samplerWorkflow(6, 100))).status).toBe(429);
    // The refused ones left nothing behind.
    expect(ledgerRows(app).filter((r) => r.owner_id === a.id)).toHaveLength(3);
    const bad = await app.request(`/api/auth/users/${a.id}`, {
      token: app.adminToken,
      method: 'PATCH',
      json: { max_active_jobs: -1 },
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toContain('max_active_jobs');
  });

  it('QUEUE_MAX_PENDING reserves its slot before ComfyUI answers: 20 concurrent submits against 2 accept 2', async () => {
    await using app = await startComfyApp({ stepMs: 50 }, { QUEUE_MAX_PENDING: '2' });
    await app.connected();
    // A slow ComfyUI widens the window in which every submit has passed the check.
    app.sim.faults.httpDelayMs = 150;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => submit(app, app.adminToken, samplerWorkflow(i, 200))),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 200)).toHaveLength(2);
    expect(codes.filter((c) => c === 429)).toHaveLength(18);
    expect(app.sim.stats.promptsAccepted).toBe(2);
    expect(ledgerRows(app)).toHaveLength(2);
  });

  it('refreshes object_info upstream at most once per 10 s; concurrent refreshes share it', async () => {
    await using app = await startComfyApp();
    await app.connected();
    const count = () => app.sim.stats.requests['GET /object_info'] ?? 0;
    await app.request('/api/comfy/object-info', { token: app.adminToken });
    const before = count();
    const burst = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.request('/api/comfy/object-info?refresh=1', { token: app.adminToken }),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await app.request('/api/comfy/object-info?refresh=1', { token: app.adminToken });
    await app.request('/api/comfy/object-info/KSampler?refresh=1', { token: app.adminToken });
    expect(count() - before).toBe(1);
  });

  it('refuses deep graphs, escaping file names and (with an allow-list) other node classes before ComfyUI', async () => {
    await using app = await startComfyApp({}, { COMFY_NODE_ALLOWLIST: 'EmptyImage, SaveImage' });
    await app.connected();
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    const cases: [unknown, string][] = [
      [{ '1': { class_type: 'EmptyImage', inputs: { x: deep } } }, 'workflow: nested deeper than 64 levels'],
      [
        {
          ...tinyWorkflow(),
          '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: '../../etc/x' } },
        },
        'workflow.2.inputs.filename_prefix: node 2 (SaveImage)',
      ],
      [
        { ...tinyWorkflow(), '3': { class_type: 'LoadImage', inputs: { image: '/etc/passwd' } } },
        'workflow.3.inputs.image: node 3 (LoadImage)',
      ],
      [
        { ...tinyWorkflow(), '3': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } } },
        'node classes not allowed on this gateway: ImageInvert',
      ],
    ];
    for (const [workflow, message] of cases) {
      const res = await submit(app, app.adminToken, workflow, { 'idempotency-key': `k-${message.length}` });
      expect(res.status, message).toBe(400);
      expect((await errorOf(res)).message).toContain(message);
    }
    expect(app.sim.stats.requests['POST /prompt'] ?? 0).toBe(0);
    expect(ledgerRows(app)).toEqual([]);
    await submitOk(app, app.adminToken, tinyWorkflow());
  });
});
