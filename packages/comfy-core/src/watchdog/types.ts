import type { ConnectionState } from '@comfy-gateway/schema';
import type { Timers } from '../types.ts';

/** Timer functions the watchdog schedules with; injectable so tests and hosts control time. */
export type WatchdogTimers = Timers;

/** How the watchdog reaches ComfyUI and how patiently it retries. */
export interface WatchdogOptions {
  /** Opens the socket; resolves when open, rejects on failure. */
  connect: () => Promise<void>;
  /** Cheap HTTP health check (e.g. `GET /system_stats`); rejects when ComfyUI is down. */
  probe: () => Promise<void>;
  /** First backoff step; step n waits around `baseDelayMs * 2^(n-1)` (see `backoffDelay`). */
  baseDelayMs: number;
  /** Upper bound of a backoff step before jitter. */
  maxDelayMs: number;
  /** Consecutive failed connects before giving up into `degraded`. */
  maxAttempts: number;
  /** Probe period while `connected` and while `degraded`. */
  healthIntervalMs: number;
  /** Source of jitter in [0, 1]; defaults to `Math.random`. */
  random?: () => number;
  /** Defaults to the global timers (unref'd, so they never keep the process alive). */
  timers?: WatchdogTimers;
  /** Clock for `lastSuccessAt` and `nextAttemptAt`; defaults to `Date.now`. */
  now?: () => number;
}

/** One state transition; emitted only when the state actually changes. */
export interface WatchdogStateChange {
  from: ConnectionState;
  to: ConnectionState;
  /** Why, when known: the connect error, the socket's close reason, `stopped`, ... */
  reason?: string;
}

/** Snapshot for health endpoints and metrics. */
export interface WatchdogInfo {
  state: ConnectionState;
  /** Consecutive failed connect attempts since the last success (or since a recovering probe). */
  attempts: number;
  /** When the last connect succeeded (`now()` clock), or null. */
  lastSuccessAt: number | null;
  /** Message of the last connect or probe failure, or the last disconnect reason. */
  lastError: string | null;
  /** When the next connect attempt (reconnecting) or recovery probe (degraded) is due, or null. */
  nextAttemptAt: number | null;
}

/** Owner of the one ComfyUI socket's (re)connection. */
export interface Watchdog {
  /** disabled → connecting, first connect attempt at once; a no-op unless disabled. */
  start(): void;
  /** → disabled; cancels every timer. Results of a connect or probe still in flight are ignored. */
  stop(): void;
  /** The socket closed: connected → reconnecting with backoff. Ignored unless connected. */
  notifyDisconnected(reason: string): void;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(listener: (change: WatchdogStateChange) => void): () => void;
  readonly state: ConnectionState;
  info(): WatchdogInfo;
}
