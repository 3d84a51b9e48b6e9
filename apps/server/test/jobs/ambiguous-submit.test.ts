import { describe, expect, it } from 'vitest';
import { startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import { ledgerRows, submit, submitOk } from './job-kit.ts';

describe('acceptance when ComfyUI does not answer clearly', () => {
  it('keeps the job when POST /prompt times out (ComfyUI may have queued it) and lets the server’s queue decide: it runs once', async () => {
    await using app = await startComfyApp({}, { COMFY_TIMEOUT: '1' });
    await app.connected();
    await expect.poll(() => app.services.comfy.conn().watchdog.state).toBe('connected');
    // Answers come after the gateway gave up, but the simulator queues the prompt all the same.
    app.sim.faults.httpDelayMs = 1300;
    const id = await submitOk(app, app.adminToken, tinyWorkflow(3));
    app.sim.faults.httpDelayMs = 0;
    expect(ledgerRows(app).map((r) => r.prompt_id)).toEqual([id]);
    expect((await app.services.comfy.waitForEnd(id)).status).toBe('completed');
    expect(app.sim.stats.started.filter((x) => x === id)).toHaveLength(1);
    expect(app.sim.stats.promptsAccepted).toBe(1);
    // The final state reaches the ledger after `done` (an async write): wait for it.
    await expect.poll(() => ledgerRows(app)).toMatchObject([{ prompt_id: id, status: 'completed' }]);
  });

  it('removes the job when ComfyUI refuses it outright (an answer, not a timeout)', async () => {
    await using app = await startComfyApp();
    await app.connected();
    app.sim.faults.failHttp({ status: 500, routes: /^\/(api\/)?prompt/, count: 1 });
    const res = await submit(app, app.adminToken, tinyWorkflow(4));
    expect(res.status).toBe(502);
    expect(ledgerRows(app)).toEqual([]);
    expect(app.sim.stats.started).toEqual([]);
  });
});
