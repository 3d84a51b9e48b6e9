import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from './backoff.ts';
import { createWatchdog } from './watchdog.ts';
import type { WatchdogOptions } from './watchdog.ts';

const DEFAULTS = { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 5, healthIntervalMs: 60_000 };

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function rig(over: Partial<WatchdogOptions> = {}) {
  const calls = { connect: 0, probe: 0 };
  let connectOk = false;
  let probeOk = true;
  const wd = createWatchdog({
    ...DEFAULTS,
    random: () => 0.5,
    connect: async () => {
      calls.connect++;
      if (!connectOk) throw new Error('ECONNREFUSED');
    },
    probe: async () => {
      calls.probe++;
      if (!probeOk) throw new Error('probe down');
    },
    ...over,
  });
  const states: string[] = [];
  wd.onState((c) => states.push(c.to));
  return { wd, calls, states, up: (v: boolean) => (connectOk = v), probeUp: (v: boolean) => (probeOk = v) };
}

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, with equal jitter', () => {
    const at = (n: number, r: number) => backoffDelay(n, { baseDelayMs: 500, maxDelayMs: 30_000, random: () => r });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => at(n, 1))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect([1, 2, 8].map((n) => at(n, 0))).toEqual([250, 500, 15000]);
  });
});

describe('watchdog', () => {
  it('connects at once and probes while connected', async () => {
    const r = rig();
    r.up(true);
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.state).toBe('connected');
    expect(r.wd.info().lastSuccessAt).not.toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.calls.probe).toBe(1);
    expect(r.states).toEqual(['connecting', 'connected']);
  });

  it('backs off, then degrades after the last attempt and probes until ComfyUI answers', async () => {
    const r = rig();
    r.probeUp(false);
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.state).toBe('reconnecting');
    // Delays with random 0.5: 375, 750, 1500, 3000 ms between the five attempts.
    await vi.advanceTimersByTimeAsync(374);
    expect(r.calls.connect).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.calls.connect).toBe(2);
    await vi.advanceTimersByTimeAsync(750 + 1500 + 3000);
    expect(r.calls.connect).toBe(5);
    expect(r.wd.state).toBe('degraded');
    expect(r.wd.info().lastError).toBe('ECONNREFUSED');
    await vi.advanceTimersByTimeAsync(60_000 * 3);
    expect(r.calls.probe).toBe(3);
    expect(r.calls.connect).toBe(5);
    r.probeUp(true);
    r.up(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.wd.state).toBe('connected');
    expect(r.states).toEqual(['connecting', 'reconnecting', 'degraded', 'connecting', 'connected']);
  });

  it('reconnects once however often the socket reports the disconnect', async () => {
    const r = rig();
    r.up(true);
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 100; i++) r.wd.notifyDisconnected('socket closed');
    expect(r.wd.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(400);
    expect(r.calls.connect).toBe(2);
    expect(r.wd.state).toBe('connected');
  });

  it('treats a failed probe while connected as a disconnect', async () => {
    const r = rig();
    r.up(true);
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    r.probeUp(false);
    r.up(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.wd.state).toBe('reconnecting');
    expect(r.wd.info().lastError).toBe('probe down');
  });

  it('never runs a connect and a probe at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = () =>
      new Promise<void>((resolve) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          resolve();
        }, 1000);
      });
    const wd = createWatchdog({ ...DEFAULTS, healthIntervalMs: 500, random: () => 0, connect: slow, probe: slow });
    wd.start();
    await vi.advanceTimersByTimeAsync(1600);
    wd.notifyDisconnected('closed during a probe');
    await vi.advanceTimersByTimeAsync(5000);
    expect(maxInFlight).toBe(1);
    expect(wd.state).toBe('connected');
    wd.stop();
  });

  it('stop cancels everything, and a connect finishing after stop changes nothing', async () => {
    let release: () => void = () => undefined;
    const connect = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const wd = createWatchdog({ ...DEFAULTS, connect, probe: async () => undefined });
    wd.start();
    wd.stop();
    release();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(wd.state).toBe('disabled');
    expect(connect).toHaveBeenCalledTimes(1);
  });
});
