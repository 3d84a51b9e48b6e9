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
  it('runs again the jobs ComfyUI lost (vanished): the waiting one as it was, the running one as its retry', async () => {
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

    const [again, moved] = await Promise.all([finalOf(app, running), finalOf(app, waiting)]);
    expect(again.status).toBe('completed');
    expect(moved.status).toBe('completed');
    expect(tracker.stats.vanished).toBeGreaterThanOrEqual(2);
    // The truth agrees: the restarted ComfyUI ran both (the running one a second time).
    expect(await simTruth(app, running)).toBe('completed');
    expect(await simTruth(app, waiting)).toBe('completed');
    for (const events of await Promise.all(streams)) {
      expectEndedWith(events, 'completed');
      expect(events.some((e) => e.data.type === 'warning' && e.data.code === 'backend_lost')).toBe(true);
    }

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

  it('fails active jobs once ComfyUI stays down past the give-up time (no retry left), and serves again after', async () => {
    await using app = await startComfyApp({ stepMs: 20 }, { COMFY_RETRY_ON_BACKEND_LOSS: '0' });
    await app.connected();
    const id = await queueJob(app, samplerWorkflow(3, 500));
    const stream = followStream(app, id);
    await expect.poll(() => app.services.comfy.conn().tracker.get(id)?.status).toBe('running');
    await app.sim.stop();
    expect((await finalOf(app, id, 10_000)).status).toBe('failed');
    expectEndedWith(await stream, 'failed');
    // While ComfyUI is down the gateway answers; a submit waits in the gateway queue, with a warning.
    expect((await app.request('/api/comfy/health', { token: app.adminToken })).status).toBe(200);
    const held = await queueJob(app, tinyWorkflow(1));
    const heldStream = followStream(app, held);
    expect((await app.request(`/api/comfy/status/${held}`, { token: app.adminToken })).status).toBe(200);

    await app.sim.restart();
    await app.connected();
    const next = await queueJob(app, tinyWorkflow(2));
    expect((await finalOf(app, next)).status).toBe('completed');
    expect((await finalOf(app, held)).status).toBe('completed');
    const heldEvents = await heldStream;
    expect(heldEvents.some((e) => e.data.type === 'warning' && e.data.code === 'waiting_for_backend')).toBe(
      true,
    );
    await expectNoLeftovers(app);
  });
});
