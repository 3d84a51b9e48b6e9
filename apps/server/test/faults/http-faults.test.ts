import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import {
  expectEndedWith,
  expectNoLeftovers,
  finalOf,
  followStream,
  guardUnhandledRejections,
  queueJob,
  simTruth,
  tinyWorkflow,
} from './fault-kit.ts';

guardUnhandledRejections();

type ErrorBody = { error: { code: string; message: string } };

describe('fault: slow and failing HTTP', () => {
  it('completes every job when ComfyUI answers slowly and the socket drops', async () => {
    await using app = await startComfyApp({ nodeMs: 2 });
    await app.connected();
    app.sim.faults.httpDelayMs = 150;
    try {
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => queueJob(app, tinyWorkflow(i))));
      const streams = ids.map((id) => followStream(app, id));
      app.sim.faults.dropSockets();
      for (const id of ids) expect((await finalOf(app, id)).status).toBe(await simTruth(app, id));
      for (const events of await Promise.all(streams)) expectEndedWith(events, 'completed');
    } finally {
      app.sim.faults.httpDelayMs = 0;
    }
    await expectNoLeftovers(app);
  });

  it('answers upstream timeouts and 5xx with a gateway error, and recovers', async () => {
    await using app = await startComfyApp({ nodeMs: 2 }, { COMFY_TIMEOUT: '1' });
    await app.connected();
    app.sim.faults.failHttp({ status: 500, routes: /^\/(api\/)?prompt/, count: 1 });
    const failed = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: tinyWorkflow(1) },
    });
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as ErrorBody).error.code).toBe('UPSTREAM_ERROR');

    app.sim.faults.httpDelayMs = 1500;
    const slow = await app.request('/api/comfy/queue', { token: app.adminToken, method: 'GET' });
    expect(slow.status).toBe(504);
    const timeout = ((await slow.json()) as ErrorBody).error;
    expect(timeout.code).toBe('COMFY_TIMEOUT');
    expect(timeout.message).toMatch(/did not answer \/queue/);
    app.sim.faults.httpDelayMs = 0;

    const id = await queueJob(app, tinyWorkflow(2));
    expect((await finalOf(app, id)).status).toBe('completed');
    await expectNoLeftovers(app);
  });

  it('keeps following a job while its history reads fail for a while', async () => {
    await using app = await startComfyApp({ nodeMs: 2 });
    await app.connected();
    // Silent socket: only polling can finish the job, and its first history reads answer 500.
    app.sim.faults.silence(true);
    app.sim.faults.failHttp({ status: 500, routes: /^\/(api\/)?history/, count: 5 });
    try {
      const id = await queueJob(app, tinyWorkflow(3));
      const stream = followStream(app, id);
      expect((await finalOf(app, id)).status).toBe('completed');
      expectEndedWith(await stream, 'completed');
    } finally {
      app.sim.faults.silence(false);
      app.sim.faults.failHttp(null);
    }
    await expectNoLeftovers(app);
  });
});
