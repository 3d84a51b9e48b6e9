import type { ConnectionState } from '@comfy-gateway/schema';
import { defaultTimers } from '../timers.ts';
import { backoffDelay } from './backoff.ts';
import { createSingleFlight } from './single-flight.ts';
import type { Watchdog, WatchdogInfo, WatchdogOptions, WatchdogStateChange } from './types.ts';

/**
 * Creates the watchdog of one ComfyUI socket: a connect attempt at start, retries with
 * `backoffDelay`, `degraded` after `maxAttempts` consecutive failures with a probe every
 * `healthIntervalMs` until ComfyUI answers, and probes while connected (a failed one counts as a
 * disconnect). At most one connect or probe is in flight at any time.
 */
export function createWatchdog(opts: WatchdogOptions): Watchdog {
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? defaultTimers;
  const flight = createSingleFlight();
  const listeners = new Set<(c: WatchdogStateChange) => void>();
  let state: ConnectionState = 'disabled';
  let attempts = 0;
  // Backoff steps taken since the last success; differs from `attempts` after a disconnect.
  let retries = 0;
  let lastSuccessAt: number | null = null;
  let lastError: string | null = null;
  let nextAttemptAt: number | null = null;
  let timer: unknown = null;

  /** Changes state and notifies; false when a listener stopped or restarted us meanwhile. */
  const moveTo = (to: ConnectionState, reason?: string): boolean => {
    const epoch = flight.epoch;
    if (to === state) return true;
    const change: WatchdogStateChange =
      reason === undefined ? { from: state, to } : { from: state, to, reason };
    state = to;
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's bug must not stop the reconnection it is being told about.
      }
    }
    return epoch === flight.epoch;
  };

  const cancelTimer = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    nextAttemptAt = null;
  };

  const schedule = (ms: number, fn: () => void, isAttempt: boolean) => {
    cancelTimer();
    nextAttemptAt = isAttempt ? now() + ms : null;
    timer = timers.setTimeout(() => {
      timer = null;
      nextAttemptAt = null;
      fn();
    }, ms);
  };

  const scheduleRetry = () =>
    schedule(
      backoffDelay(retries, { baseDelayMs: opts.baseDelayMs, maxDelayMs: opts.maxDelayMs, random }),
      attempt,
      true,
    );

  const attempt = (): void =>
    flight.run(opts.connect, (o) => {
      if (o.ok) {
        attempts = 0;
        retries = 0;
        lastSuccessAt = now();
        if (moveTo('connected')) schedule(opts.healthIntervalMs, probeConnected, false);
        return;
      }
      attempts++;
      lastError = o.error;
      if (attempts >= opts.maxAttempts) {
        if (moveTo('degraded', o.error)) schedule(opts.healthIntervalMs, probeDegraded, true);
        return;
      }
      retries++;
      if (moveTo('reconnecting', o.error)) scheduleRetry();
    });

  const disconnected = (reason: string, error: string) => {
    flight.invalidate();
    cancelTimer();
    attempts = 0;
    // The lost socket counts as the first failure: one backoff step before reconnecting, no storm.
    retries = 1;
    lastError = error;
    if (moveTo('reconnecting', reason)) scheduleRetry();
  };

  const probeConnected = (): void =>
    flight.run(opts.probe, (o) => {
      if (o.ok) schedule(opts.healthIntervalMs, probeConnected, false);
      else disconnected(`health probe failed: ${o.error}`, o.error);
    });

  const probeDegraded = (): void =>
    flight.run(opts.probe, (o) => {
      if (!o.ok) {
        lastError = o.error;
        schedule(opts.healthIntervalMs, probeDegraded, true);
        return;
      }
      attempts = 0;
      retries = 0;
      if (moveTo('connecting', 'health probe succeeded')) attempt();
    });

  return {
    start() {
      if (state !== 'disabled') return;
      attempts = 0;
      retries = 0;
      if (moveTo('connecting')) attempt();
    },
    stop() {
      flight.invalidate();
      cancelTimer();
      moveTo('disabled', 'stopped');
    },
    notifyDisconnected(reason) {
      if (state === 'connected') disconnected(reason, reason);
    },
    onState(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get state() {
      return state;
    },
    info(): WatchdogInfo {
      return { state, attempts, lastSuccessAt, lastError, nextAttemptAt };
    },
  };
}
