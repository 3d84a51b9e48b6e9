import type { Runtime } from './runtime.ts';
import type { FaultState } from './state.ts';
import type { SimFaults } from './types.ts';

/** The `sim.faults` control surface over shared fault state and the current runtime. */
export function createFaults(
  state: FaultState,
  runtime: () => Runtime | null,
  /** Resets every open connection of the HTTP server (sockets included). */
  resetConnections: () => void,
): SimFaults {
  return {
    dropSockets: () => runtime()?.hub.terminateAll(),
    silence: (on) => {
      state.silenced = on;
    },
    failNode: (classType, message) => {
      state.failures.set(classType, message);
    },
    clearFailures: () => state.failures.clear(),
    get httpDelayMs() {
      return state.httpDelayMs;
    },
    set httpDelayMs(ms: number) {
      state.httpDelayMs = ms;
    },
    failHttp: (opts) => {
      state.httpFailure = opts
        ? { status: opts.status ?? 500, routes: opts.routes ?? null, remaining: opts.count ?? Infinity }
        : null;
    },
    rejectWs: (on) => {
      state.rejectWs = on;
    },
    partition: (on) => {
      state.partitioned = on;
      if (on) resetConnections();
    },
  };
}
