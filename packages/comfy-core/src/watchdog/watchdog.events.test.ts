import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rig } from './test-rig.ts';
import type { WatchdogTimers } from './types.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('watchdog: state events', () => {
  it('emits each change once, with from, to and reason', async () => {
    const r = rig({ maxAttempts: 3 });
    r.wd.start();
    await vi.advanceTimersByTimeAsync(375 + 750);
    r.sim.connectOk = true;
    await vi.advanceTimersByTimeAsync(60_000);
    r.wd.notifyDisconnected('socket closed');
    r.wd.stop();
    r.wd.stop();
    expect(r.changes).toEqual([
      { from: 'disabled', to: 'connecting' },
      { from: 'connecting', to: 'reconnecting', reason: 'ECONNREFUSED' },
      { from: 'reconnecting', to: 'degraded', reason: 'ECONNREFUSED' },
      { from: 'degraded', to: 'connecting', reason: 'health probe succeeded' },
      { from: 'connecting', to: 'connected' },
      { from: 'connected', to: 'reconnecting', reason: 'socket closed' },
      { from: 'reconnecting', to: 'disabled', reason: 'stopped' },
    ]);
  });

  it('survives throwing listeners and honours unsubscribe', async () => {
    const r = rig();
    r.sim.connectOk = true;
    r.wd.onState(() => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    const off = r.wd.onState((c) => seen.push(c.to));
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    off();
    r.wd.notifyDisconnected('closed');
    await vi.advanceTimersByTimeAsync(375);
    expect(r.wd.state).toBe('connected');
    expect(seen).toEqual(['connecting', 'connected']);
    expect(r.states()).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('a listener that stops the watchdog stops it for good', async () => {
    const r = rig();
    r.wd.onState((c) => c.to === 'reconnecting' && r.wd.stop());
    r.wd.start();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(r.calls.connect).toBe(1);
    expect(r.wd.state).toBe('disabled');
  });
});

describe('watchdog: injected clock and timers', () => {
  it('schedules through the given timers and stamps with the given clock', async () => {
    const pending = new Map<number, { fn: () => void; ms: number }>();
    let id = 0;
    const timers: WatchdogTimers = {
      setTimeout: (fn, ms) => (pending.set(++id, { fn, ms }), id),
      clearTimeout: (h) => void pending.delete(h as number),
    };
    const r = rig({ timers, now: () => 1_000, random: () => 1 });
    r.wd.start();
    await vi.advanceTimersByTimeAsync(0);
    expect([...pending.values()].map((t) => t.ms)).toEqual([500]);
    expect(r.wd.info().nextAttemptAt).toBe(1_500);
    r.sim.connectOk = true;
    const due = [...pending.values()];
    pending.clear();
    for (const t of due) t.fn();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.wd.info()).toMatchObject({ state: 'connected', lastSuccessAt: 1_000 });
    r.wd.stop();
    expect(pending.size).toBe(0);
  });
});
