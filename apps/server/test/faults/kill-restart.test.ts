import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import {
  expectEndedWith,
  expectNoLeftovers,
  finalOf,
  followStream,
  guardUnhandledRejections,
  queueJob,
  samplerWorkflow,
  simTruth,
  tinyWorkflow,
} from './fault-kit.ts';

guardUnhandledRejections();

describe('fault: ComfyUI killed mid-job and restarted', () => {
  it('fails the jobs ComfyUI lost (vanished), then completes jobs queued after the restart', async () => {
    await using app = await startComfyApp({ stepMs: 20 });
    await app.connected();
    const tracker = app.services.comfy.conn().tracker;
    const running = await queueJob(app, samplerWorkflow(1, 200));
    const waiting = await queueJob(app, samplerWorkflow(2, 200));
    const streams = [followStream(app, running), followStream(app, waiting)];
    await expect.poll(() => tracker.get(running)?.status).toBe('running');

    await app.sim.stop();
    // Restarted once the gateway saw it go, well before it gives up (giveUpAfterMs 3 s): the
    // prompts are simply gone.
    await expect.poll(() => app.services.comfy.connection?.watchdog.state).not.toBe('connected');
    await app.sim.restart();

    const [lostRun, lostWait] = await Promise.all([finalOf(app, running), finalOf(app, waiting)]);
    expect(lostRun.status).toBe('failed');
    expect(lostWait.status).toBe('failed');
    expect(tracker.stats.vanished).toBeGreaterThanOrEqual(2);
    // The truth agrees: the restarted ComfyUI has no record of either.
    expect(await simTruth(app, running)).toBeNull();
    expect(await simTruth(app, waiting)).toBeNull();
    for (const events of await Promise.all(streams)) expectEndedWith(events, 'failed');

    await app.connected();
    const after = await Promise.all([0, 1, 2, 3, 4].map((i) => queueJob(app, tinyWorkflow(i))));
    const afterStreams = after.map((id) => followStream(app, id));
    for (const id of after) {
      expect((await finalOf(app, id)).status).toBe('completed');
      expect(await simTruth(app, id)).toBe('completed');
    }
    for (const events of await Promise.all(afterStreams)) expectEndedWith(events, 'completed');
    await expectNoLeftovers(app);
  });

  it('fails active jobs once ComfyUI stays down past the give-up time, and serves again after', async () => {
    await using app = await startComfyApp({ stepMs: 20 });
    await app.connected();
    const id = await queueJob(app, samplerWorkflow(3, 500));
    const stream = followStream(app, id);
    await expect.poll(() => app.services.comfy.conn().tracker.get(id)?.status).toBe('running');
    await app.sim.stop();
    expect((await finalOf(app, id, 10_000)).status).toBe('failed');
    expectEndedWith(await stream, 'failed');
    // While ComfyUI is down the gateway answers, with an error rather than a crash.
    expect((await app.request('/api/comfy/health', { token: app.adminToken })).status).toBe(200);
    const down = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: tinyWorkflow(1) },
    });
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(((await down.json()) as { error: { code: string } }).error.code).toMatch(
      /^(COMFY_UNAVAILABLE|COMFY_TIMEOUT|UPSTREAM_ERROR)$/,
    );

    await app.sim.restart();
    await app.connected();
    const next = await queueJob(app, tinyWorkflow(2));
    expect((await finalOf(app, next)).status).toBe('completed');
    await expectNoLeftovers(app);
  });
});
