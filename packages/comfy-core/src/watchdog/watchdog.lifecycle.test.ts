import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, gate, rig } from './test-rig.ts';
import { createWatchdog } from './watchdog.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('watchdog: stop', () => {
  it.each([
    ['reconnecting', { connectOk: false, probeOk: true }, 0],
    ['degraded', { connectOk: false, probeOk: false }, 10_000],
    ['connected', { connectOk: true, probeOk: true }, 0],
  ] as const)('cancels every timer when %s', async (state, sim, settle) => {
    const r = rig();
    Object.assign(r.sim, sim);
    r.wd.start();
    await vi.advanceTimersByTimeAsync(settle);
    expect(r.wd.state).toBe(state);
    const before = { ...r.calls };
    r.wd.stop();
    expect(r.wd.info()).toMatchObject({ state: 'disabled', nextAttemptAt: null });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(r.calls).toEqual(before);
    expect(r.changes.at(-1)).toEqual({ from: state, to: 'disabled', reason: 'stopped' });
  });

  it('ignores a connect that resolves after stop', async () => {
    const g = gate();
    const r = rig({ connect: () => g.promise });
    r.wd.start();
    r.wd.stop();
    g.resolve();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.wd.info()).toMatchObject({ state: 'disabled', lastSuccessAt: null });
    expect(r.states()).toEqual(['connecting', 'disabled']);
  });

  it('a restart waits for the stale connect to settle: never two in flight', async () => {
    const gates = [gate(), gate()];
    let calls = 0;
    const r = rig({ connect: () => gates[calls++]?.promise ?? Promise.reject(new Error('extra')) });
    r.wd.start();
    r.wd.stop();
    r.wd.start();
    expect(calls).toBe(1);
    gates[0]?.reject(new Error('stale failure'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2);
    expect(r.wd.info()).toMatchObject({ state: 'connecting', lastError: null });
    gates[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.state).toBe('connected');
  });
});

describe('watchdog: one connect or probe in flight', () => {
  it('a disconnect during a probe waits for it and drops its outcome', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = (ms: number) => () =>
      new Promise<void>((resolve) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        setTimeout(() => {
          inFlight--;
          resolve();
        }, ms);
      });
    const probe = vi.fn(slow(5000));
    const connect = vi.fn(slow(100));
    const wd = createWatchdog({ ...DEFAULTS, random: () => 0, connect, probe });
    wd.start();
    await vi.advanceTimersByTimeAsync(100 + 60_000 + 10);
    expect(probe).toHaveBeenCalledTimes(1);
    wd.notifyDisconnected('closed during a probe');
    // The 250 ms retry is due long before the probe ends at 5000 ms.
    await vi.advanceTimersByTimeAsync(4989);
    expect(connect).toHaveBeenCalledTimes(1);
    expect(wd.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1);
    expect(connect).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(wd.state).toBe('connected');
    expect(maxInFlight).toBe(1);
    wd.stop();
  });
});
