import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import {
  expectEndedWith,
  expectNoLeftovers,
  finalOf,
  followStream,
  guardUnhandledRejections,
  invertWorkflow,
  queueJob,
  simTruth,
  tinyWorkflow,
} from './fault-kit.ts';

guardUnhandledRejections();

describe('fault: socket open but silent', () => {
  it('finds every completion and failure by polling, and streams still end', async () => {
    await using app = await startComfyApp({ nodeMs: 5 });
    await app.connected();
    const tracker = app.services.comfy.conn().tracker;
    app.sim.faults.failNode('ImageInvert', 'boom');
    app.sim.faults.silence(true);
    try {
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          queueJob(app, i % 5 === 4 ? invertWorkflow(i) : tinyWorkflow(i)),
        ),
      );
      const streams = ids.map((id) => followStream(app, id));
      const finals = await Promise.all(ids.map((id) => finalOf(app, id)));
      const truths = await Promise.all(ids.map((id) => simTruth(app, id)));
      expect(finals.map((f) => f.status)).toEqual(truths);
      expect(truths.filter((t) => t === 'failed')).toHaveLength(4);
      const streamed = await Promise.all(streams);
      streamed.forEach((events, i) => expectEndedWith(events, truths[i] ?? 'missing'));
      // The socket never spoke, so every end was a rescue by polling (failures included).
      expect(tracker.stats.rescues).toBeGreaterThanOrEqual(16);
      // The watchdog did not tear down a socket that is merely quiet.
      expect(app.services.comfy.connection?.watchdog.state).toBe('connected');
    } finally {
      app.sim.faults.silence(false);
      app.sim.faults.clearFailures();
    }
    await expectNoLeftovers(app);
  });
});
