import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rig } from './test-rig.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('watchdog: connecting and backing off', () => {
  it('connects at once on start and records the success', async () => {
    const r = rig();
    r.sim.connectOk = true;
    r.wd.start();
    expect(r.calls.connect).toBe(1);
    expect(r.wd.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.state).toBe('connected');
    expect(r.wd.info()).toEqual({
      state: 'connected',
      attempts: 0,
      lastSuccessAt: Date.now(),
      lastError: null,
      nextAttemptAt: null,
    });
    expect(r.states()).toEqual(['connecting', 'connected']);
  });

  it('retries with backoff and degrades exactly after maxAttempts failures', async () => {
    const r = rig();
    r.sim.probeOk = false;
    const t0 = Date.now();
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.state).toBe('reconnecting');
    expect(r.wd.info()).toMatchObject({ attempts: 1, lastError: 'ECONNREFUSED', nextAttemptAt: t0 + 375 });
    // random 0.5: 375, 750, 1500, 3000 ms between the five attempts.
    for (const [delay, attempt] of [
      [375, 2],
      [750, 3],
      [1500, 4],
      [3000, 5],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(r.calls.connect).toBe(attempt - 1);
      expect(r.wd.state).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(1);
      expect(r.calls.connect).toBe(attempt);
    }
    expect(r.wd.state).toBe('degraded');
    expect(r.wd.info()).toMatchObject({ attempts: 5, nextAttemptAt: Date.now() + 60_000 });
    expect(r.states()).toEqual(['connecting', 'reconnecting', 'degraded']);
  });

  it('degrades after a single failure when maxAttempts is 1', async () => {
    const r = rig({ maxAttempts: 1 });
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.state).toBe('degraded');
    expect(r.calls.connect).toBe(1);
  });

  it('treats a connect that throws synchronously as a failed attempt', async () => {
    const r = rig({
      connect: () => {
        throw new Error('bad url');
      },
    });
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.info()).toMatchObject({ state: 'reconnecting', attempts: 1, lastError: 'bad url' });
  });
});

describe('watchdog: disconnects', () => {
  it('100 disconnect notices give exactly one connect per backoff step', async () => {
    const r = rig();
    r.sim.connectOk = true;
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    r.sim.connectOk = false;
    for (let i = 0; i < 100; i++) r.wd.notifyDisconnected('socket closed');
    expect(r.wd.info()).toMatchObject({ state: 'reconnecting', lastError: 'socket closed' });
    let expected = 1;
    for (const delay of [375, 750, 1500, 3000, 6000]) {
      for (let i = 0; i < 100; i++) r.wd.notifyDisconnected('socket closed again');
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(r.calls.connect).toBe(expected);
      await vi.advanceTimersByTimeAsync(1);
      expect(r.calls.connect).toBe(++expected);
    }
    expect(r.wd.state).toBe('degraded');
    expect(r.states()).toEqual(['connecting', 'connected', 'reconnecting', 'degraded']);
  });

  it('ignores disconnect notices unless connected', async () => {
    const r = rig({ maxAttempts: 2 });
    r.wd.notifyDisconnected('early');
    expect(r.wd.state).toBe('disabled');
    r.wd.start();
    r.wd.notifyDisconnected('while connecting');
    await vi.advanceTimersByTimeAsync(375);
    r.wd.notifyDisconnected('while degraded');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.wd.state).toBe('degraded');
    expect(r.calls.connect).toBe(2);
    expect(r.states()).toEqual(['connecting', 'reconnecting', 'degraded']);
  });
});
