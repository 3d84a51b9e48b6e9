import type { ConnectionState } from '@comfy-gateway/schema';
import { backoffDelay } from './backoff.ts';

export interface WatchdogTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WatchdogOptions {
  /** Opens the socket; resolves when open, rejects on failure. */
  connect: () => Promise<void>;
  /** Cheap HTTP health check; rejects when ComfyUI is down. */
  probe: () => Promise<void>;
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  healthIntervalMs: number;
  random?: () => number;
  timers?: WatchdogTimers;
  now?: () => number;
}

export interface WatchdogStateChange {
  from: ConnectionState;
  to: ConnectionState;
  reason?: string;
}

export interface WatchdogInfo {
  state: ConnectionState;
  attempts: number;
  lastSuccessAt: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Owns the (re)connection: backoff with jitter, `degraded` after the last attempt with probes every
 * health interval, probes while connected too. One attempt or probe in flight at a time.
 */
export function createWatchdog(opts: WatchdogOptions) {
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const timers: WatchdogTimers = opts.timers ?? {
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const listeners = new Set<(c: WatchdogStateChange) => void>();
  let state: ConnectionState = 'disabled';
  let attempts = 0;
  let lastSuccessAt: number | null = null;
  let lastError: string | null = null;
  let nextAttemptAt: number | null = null;
  let timer: unknown = null;
  let busy = false;
  // Bumped by stop(): results of work started before it are ignored.
  let generation = 0;

  const setState = (to: ConnectionState, reason?: string) => {
    if (to === state) return;
    const change: WatchdogStateChange = { from: state, to, ...(reason ? { reason } : {}) };
    state = to;
    for (const l of listeners) {
      try {
        l(change);
      } catch {
        // A listener's bug must not stop reconnection.
      }
    }
  };

  const schedule = (ms: number, fn: () => void) => {
    if (timer !== null) timers.clearTimeout(timer);
    nextAttemptAt = now() + ms;
    timer = timers.setTimeout(() => {
      timer = null;
      nextAttemptAt = null;
      fn();
    }, ms);
  };

  const attempt = () => {
    if (state === 'disabled') return;
    // A probe still in flight: try again right after it, never two at once.
    if (busy) return schedule(Math.min(opts.baseDelayMs, 100), attempt);
    busy = true;
    const gen = generation;
    attempts++;
    if (state !== 'reconnecting') setState('connecting');
    opts.connect().then(
      () => {
        busy = false;
        if (gen !== generation) return;
        attempts = 0;
        lastSuccessAt = now();
        setState('connected');
        schedule(opts.healthIntervalMs, probeConnected);
      },
      (err: unknown) => {
        busy = false;
        if (gen !== generation) return;
        lastError = message(err);
        failed(lastError);
      },
    );
  };

  /** After a failed connect: back off, or give up into degraded probing. */
  const failed = (reason: string) => {
    if (attempts >= opts.maxAttempts) {
      setState('degraded', reason);
      schedule(opts.healthIntervalMs, probeDegraded);
      return;
    }
    setState('reconnecting', reason);
    schedule(backoffDelay(attempts, { baseDelayMs: opts.baseDelayMs, maxDelayMs: opts.maxDelayMs, random }), attempt);
  };

  const runProbe = (onOk: () => void, onFail: (err: unknown) => void) => {
    if (busy) return schedule(opts.healthIntervalMs, () => runProbe(onOk, onFail));
    busy = true;
    const gen = generation;
    opts.probe().then(
      () => {
        busy = false;
        if (gen === generation) onOk();
      },
      (err: unknown) => {
        busy = false;
        if (gen === generation) onFail(err);
      },
    );
  };

  const probeConnected = () =>
    runProbe(
      () => {
        lastSuccessAt = now();
        if (state === 'connected') schedule(opts.healthIntervalMs, probeConnected);
      },
      (err) => {
        lastError = message(err);
        if (state === 'connected') disconnected(`health probe failed: ${lastError}`);
      },
    );

  const probeDegraded = () =>
    runProbe(
      () => {
        attempts = 0;
        setState('connecting', 'health probe succeeded');
        attempt();
      },
      (err) => {
        lastError = message(err);
        schedule(opts.healthIntervalMs, probeDegraded);
      },
    );

  const disconnected = (reason: string) => {
    attempts = 0;
    setState('reconnecting', reason);
    schedule(backoffDelay(1, { baseDelayMs: opts.baseDelayMs, maxDelayMs: opts.maxDelayMs, random }), attempt);
  };

  return {
    start(): void {
      if (state !== 'disabled') return;
      attempts = 0;
      setState('connecting');
      attempt();
    },
    stop(): void {
      generation++;
      busy = false;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      nextAttemptAt = null;
      setState('disabled', 'stopped');
    },
    /** The socket closed; ignored unless connected (a retry is already on its way otherwise). */
    notifyDisconnected(reason: string): void {
      if (state === 'connected') disconnected(reason);
    },
    onState(listener: (c: WatchdogStateChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get state(): ConnectionState {
      return state;
    },
    info(): WatchdogInfo {
      return { state, attempts, lastSuccessAt, lastError, nextAttemptAt };
    },
  };
}

export type Watchdog = ReturnType<typeof createWatchdog>;
