import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import {
  expectEndedWith,
  expectNoLeftovers,
  finalOf,
  followStream,
  guardUnhandledRejections,
  heapMb,
  invertWorkflow,
  queueJob,
  simTruth,
  tinyWorkflow,
} from './fault-kit.ts';

guardUnhandledRejections();

// Measured after a forced GC; the tracker keeps a bounded number of finished jobs for late readers,
// so a few MB of growth is expected; a leak of sockets, streams or listeners would go far past it.
const HEAP_TOLERANCE_MB = 15;

describe('fault: sockets dropped every few hundred ms', () => {
  it('200 jobs end in their true final state and every stream ends with done', async () => {
    // 200 jobs from one user: above the default per-user cap (USER_MAX_ACTIVE_JOBS) on purpose.
    await using app = await startComfyApp({ nodeMs: 4 }, { USER_MAX_ACTIVE_JOBS: '1000' });
    await app.connected();
    const baseline = await heapMb();
    const tracker = app.services.comfy.conn().tracker;
    const reconnectsBefore = app.sim.stats.wsConnectionsTotal;
    // ImageInvert fails while set, so the run mixes completed and failed truths.
    app.sim.faults.failNode('ImageInvert', 'CUDA out of memory');
    let drops = 0;
    const dropper = setInterval(
      () => {
        app.sim.faults.dropSockets();
        drops++;
      },
      200 + Math.floor(Math.random() * 100),
    );

    try {
      const ids: string[] = [];
      const streams: Promise<{ id: string; events: Awaited<ReturnType<typeof followStream>> }>[] = [];
      for (let i = 0; i < 200; i++) {
        const id = await queueJob(app, i % 4 === 3 ? invertWorkflow(i) : tinyWorkflow(i));
        ids.push(id);
        if (i % 10 === 0) streams.push(followStream(app, id).then((events) => ({ id, events })));
        // Spread the queueing over the drops instead of queueing everything before the first one.
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 60));
      }
      const finals = await Promise.all(ids.map((id) => finalOf(app, id, 60_000)));
      const truths = await Promise.all(ids.map((id) => simTruth(app, id)));
      expect(truths.filter((t) => t === null)).toEqual([]);
      const mismatches = ids.flatMap((id, i) =>
        finals[i]?.status === truths[i] ? [] : [{ id, gateway: finals[i]?.status, truth: truths[i] }],
      );
      expect(mismatches).toEqual([]);
      expect(truths.filter((t) => t === 'failed')).toHaveLength(50);

      for (const { id, events } of await Promise.all(streams)) {
        expectEndedWith(events, truths[ids.indexOf(id)] ?? 'missing');
      }
    } finally {
      clearInterval(dropper);
      app.sim.faults.clearFailures();
    }
    // Completions the socket missed were found by polling.
    expect(tracker.stats.rescues).toBeGreaterThan(0);
    expect(drops).toBeGreaterThanOrEqual(3);
    expect(app.sim.stats.wsConnectionsTotal).toBeGreaterThan(reconnectsBefore);
    await app.connected();
    await expectNoLeftovers(app);
    expect(tracker.activeCount()).toBe(0);
    const growth = (await heapMb()) - baseline;
    expect(growth).toBeLessThan(HEAP_TOLERANCE_MB);
    // Jobs wait in the gateway queue (two on ComfyUI at a time, none sent while the socket is down).
  }, 90_000);
});
