import { createWatchdog } from './watchdog.ts';
import type { WatchdogOptions, WatchdogStateChange } from './types.ts';

/** The product defaults: 5 attempts, 500 ms base, 30 s cap, 60 s health interval. */
export const DEFAULTS = { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 5, healthIntervalMs: 60_000 };

/**
 * A watchdog over a fake ComfyUI whose socket and /system_stats are switched up and down, with
 * random fixed at 0.5 (so backoff steps are 375, 750, 1500, 3000, ... ms).
 */
export function rig(over: Partial<WatchdogOptions> = {}) {
  const calls = { connect: 0, probe: 0 };
  const sim = { connectOk: false, probeOk: true };
  const wd = createWatchdog({
    ...DEFAULTS,
    random: () => 0.5,
    connect: () => {
      calls.connect++;
      return sim.connectOk ? Promise.resolve() : Promise.reject(new Error('ECONNREFUSED'));
    },
    probe: () => {
      calls.probe++;
      return sim.probeOk ? Promise.resolve() : Promise.reject(new Error('probe down'));
    },
    ...over,
  });
  const changes: WatchdogStateChange[] = [];
  wd.onState((c) => changes.push(c));
  return {
    wd,
    calls,
    sim,
    changes,
    /** Just the `to` side of every state event. */
    states: () => changes.map((c) => c.to),
  };
}

/** A promise whose settlement the test triggers, for connects and probes left in flight. */
export function gate() {
  let resolve: () => void = () => undefined;
  let reject: (err: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
