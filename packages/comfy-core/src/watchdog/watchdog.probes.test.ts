import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rig } from './test-rig.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('watchdog: health probes', () => {
  it('in degraded, probes every interval and never connects until a probe succeeds', async () => {
    const r = rig({ maxAttempts: 1 });
    r.sim.probeOk = false;
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(r.calls.probe).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.calls.probe).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000 * 2);
    expect(r.calls).toEqual({ connect: 1, probe: 3 });
    expect(r.wd.info()).toMatchObject({ state: 'degraded', lastError: 'probe down' });

    r.sim.probeOk = true;
    r.sim.connectOk = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.calls).toEqual({ connect: 2, probe: 4 });
    expect(r.wd.info()).toMatchObject({ state: 'connected', attempts: 0 });
    expect(r.states()).toEqual(['connecting', 'degraded', 'connecting', 'connected']);
  });

  it('after a recovering probe, a failed connect goes back to reconnecting with backoff from step 1', async () => {
    const r = rig();
    r.wd.start();
    await vi.advanceTimersByTimeAsync(375 + 750 + 1500 + 3000);
    expect(r.wd.state).toBe('degraded');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.calls).toEqual({ connect: 6, probe: 1 });
    expect(r.wd.info()).toMatchObject({
      state: 'reconnecting',
      attempts: 1,
      nextAttemptAt: Date.now() + 375,
    });
    r.sim.connectOk = true;
    await vi.advanceTimersByTimeAsync(375);
    expect(r.wd.state).toBe('connected');
    expect(r.states()).toEqual([
      'connecting',
      'reconnecting',
      'degraded',
      'connecting',
      'reconnecting',
      'connected',
    ]);
  });

  it('probes every interval while connected; a failed probe counts as a disconnect', async () => {
    const r = rig();
    r.sim.connectOk = true;
    r.wd.start();
    await vi.advanceTimersByTimeAsync(60_000 * 2);
    expect(r.calls).toEqual({ connect: 1, probe: 2 });
    r.sim.probeOk = false;
    r.sim.connectOk = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.wd.info()).toMatchObject({ state: 'reconnecting', lastError: 'probe down', attempts: 0 });
    expect(r.changes.at(-1)).toEqual({
      from: 'connected',
      to: 'reconnecting',
      reason: 'health probe failed: probe down',
    });
    // One backoff step before the first reconnect, then the next steps.
    await vi.advanceTimersByTimeAsync(374);
    expect(r.calls.connect).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.calls.connect).toBe(2);
    await vi.advanceTimersByTimeAsync(750);
    expect(r.calls.connect).toBe(3);
  });
});
