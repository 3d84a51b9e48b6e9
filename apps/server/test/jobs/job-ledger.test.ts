import { describe, expect, it } from 'vitest';
import { samplerWorkflow, startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import { json, ledgerRows, startSecondGateway, submit, submitOk, untilEnded } from './job-kit.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the job ledger', () => {
  it('writes the row (queued, owner, workflow and hash) before ComfyUI answers, under an id it picked', async () => {
    await using app = await startComfyApp();
    await app.connected();
    app.sim.faults.httpDelayMs = 300;
    const pending = submit(app, app.adminToken, tinyWorkflow(1), { 'idempotency-key': 'k-1' });
    await expect.poll(() => ledgerRows(app).length).toBe(1);
    const row = app.db.prepare('SELECT * FROM jobs').get() as Record<string, unknown>;
    expect(app.sim.stats.promptsAccepted).toBe(0);
    expect(row).toMatchObject({ status: 'queued', owner_id: 1, kind: 'workflow', idempotency_key: 'k-1' });
    expect(JSON.parse(String(row['workflow_json']))).toEqual(tinyWorkflow(1));
    expect(row['workflow_hash']).toMatch(/^[0-9a-f]{64}$/);
    const res = await pending;
    app.sim.faults.httpDelayMs = 0;
    const { prompt_id } = await json<{ prompt_id: string }>(res);
    expect(prompt_id).toBe(row['prompt_id']);
    expect(prompt_id).toMatch(UUID_V4);
    await untilEnded(app, prompt_id);
    await expect.poll(() => ledgerRows(app)[0]?.status).toBe('completed');
  });

  it('removes the row when ComfyUI refuses the prompt (503, then 400 validation)', async () => {
    await using app = await startComfyApp();
    await app.connected();
    app.sim.faults.failHttp({ status: 503, routes: /^\/prompt/, count: 1 });
    const down = await submit(app, app.adminToken, tinyWorkflow(1));
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(ledgerRows(app)).toEqual([]);
    const invalid = await submit(app, app.adminToken, {
      '1': { class_type: 'NoSuchNode', inputs: {} },
    });
    expect(invalid.status).toBe(400);
    expect(ledgerRows(app)).toEqual([]);
    // Nothing half-written: the next one goes through.
    await submitOk(app, app.adminToken, tinyWorkflow(2));
    expect(ledgerRows(app)).toHaveLength(1);
  });

  it('lists own jobs newest first with filters and an opaque cursor, and returns the full record', async () => {
    await using app = await startComfyApp();
    await app.connected();
    const first = await submitOk(app, app.adminToken, tinyWorkflow(1));
    await untilEnded(app, first);
    const t2i = await app.request('/api/comfy/text2img', {
      token: app.adminToken,
      method: 'POST',
      json: { caption: 'a lighthouse', width: 64, height: 64, steps: 2, seed: 7 },
    });
    expect(t2i.status).toBe(200);
    const second = (await json<{ prompt_id: string }>(t2i)).prompt_id;
    await untilEnded(app, second);
    await expect.poll(() => ledgerRows(app).map((r) => r.status)).toEqual(['completed', 'completed']);

    const list = await json<{ items: { prompt_id: string; kind: string }[]; next_cursor: string | null }>(
      await app.request('/api/comfy/jobs', { token: app.adminToken }),
    );
    expect(list.items.map((j) => [j.prompt_id, j.kind])).toEqual([
      [second, 'text2img'],
      [first, 'workflow'],
    ]);
    expect(list.next_cursor).toBeNull();
    const page1 = await json<{ items: { prompt_id: string }[]; next_cursor: string }>(
      await app.request('/api/comfy/jobs?limit=1', { token: app.adminToken }),
    );
    expect(page1.items.map((j) => j.prompt_id)).toEqual([second]);
    const page2 = await json<{ items: { prompt_id: string }[]; next_cursor: string | null }>(
      await app.request(`/api/comfy/jobs?limit=1&cursor=${page1.next_cursor}`, { token: app.adminToken }),
    );
    expect(page2.items.map((j) => j.prompt_id)).toEqual([first]);
    expect(page2.next_cursor).toBeNull();
    const onlyText = await json<{ items: { prompt_id: string }[] }>(
      await app.request('/api/comfy/jobs?kind=text2img&status=completed', { token: app.adminToken }),
    );
    expect(onlyText.items.map((j) => j.prompt_id)).toEqual([second]);

    const record = await json(await app.request(`/api/comfy/jobs/${second}`, { token: app.adminToken }));
    expect(record).toMatchObject({
      prompt_id: second,
      owner_id: 1,
      kind: 'text2img',
      params: { caption: 'a lighthouse', seed: 7, steps: 2 },
      status: 'completed',
      error: null,
      images: [{ type: 'output', filename: expect.stringMatching(/\.png$/) }],
      workflow: expect.objectContaining({ sampler: expect.objectContaining({ class_type: 'KSampler' }) }),
      workflow_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      backend: null,
    });
    expect(record['finished_at']).toBeGreaterThanOrEqual(Number(record['started_at']));
    expect(record['duration_ms']).toBe(Number(record['finished_at']) - Number(record['started_at']));

    for (const bad of ['limit=0', 'limit=201', 'status=nope', 'kind=x', 'cursor=zzz']) {
      const res = await app.request(`/api/comfy/jobs?${bad}`, { token: app.adminToken });
      expect(res.status, bad).toBe(400);
      const field = bad.split('=')[0] ?? '';
      expect((await json<{ error: { message: string } }>(res)).error.message).toContain(field);
    }
    expect((await app.request('/api/comfy/jobs/never-queued', { token: app.adminToken })).status).toBe(404);
  });

  it('answers status, history and jobs from the ledger once neither memory nor ComfyUI has the job', async () => {
    await using app = await startComfyApp();
    await app.connected();
    const id = await submitOk(app, app.adminToken, samplerWorkflow(4, 3));
    const final = await untilEnded(app, id);
    expect(final.status).toBe('completed');
    await expect.poll(() => ledgerRows(app)[0]?.status).toBe('completed');
    // ComfyUI forgets everything; a fresh gateway over the same ROOT_DIR remembers nothing in memory.
    await app.sim.stop();
    await app.sim.restart();
    await using second = await startSecondGateway(app);
    expect(second.services.comfy.conn().tracker.get(id)).toBeUndefined();
    const get = (p: string) =>
      fetch(`${second.url}${p}`, { headers: { authorization: `Bearer ${app.adminToken}` } });

    const status = await json(await get(`/api/comfy/status/${id}`));
    expect(status).toMatchObject({ prompt_id: id, status: 'completed', images: final.images });
    const history = await json(await get(`/api/comfy/history/${id}`));
    expect(history).toMatchObject({
      prompt_id: id,
      status: 'completed',
      progress: 100,
      images: final.images,
      workflow: samplerWorkflow(4, 3),
    });
    const record = await json(await get(`/api/comfy/jobs/${id}`));
    expect(record).toMatchObject({ prompt_id: id, status: 'completed', images: final.images });
  });
});
