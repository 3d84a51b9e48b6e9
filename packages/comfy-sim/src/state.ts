/** Fault switches shared by the HTTP layer, the socket hub and the executor; survive restarts. */
export interface FaultState {
  silenced: boolean;
  /** Network cut: connections are reset, while the queue and execution carry on. */
  partitioned: boolean;
  rejectWs: boolean;
  httpDelayMs: number;
  failures: Map<string, string | undefined>;
  httpFailure: { status: number; routes: RegExp | null; remaining: number } | null;
}

/** Counters exposed as `sim.stats`; cumulative across restarts. */
export interface StatsState {
  wsConnectionsTotal: number;
  requests: Record<string, number>;
  promptsAccepted: number;
  /** Prompt ids in the order their execution started (a test's view across kills). */
  started: string[];
}

export const SERVER_FEATURES = { supports_preview_metadata: true, max_upload_size: 104857600 } as const;
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export function createFaultState(): FaultState {
  return {
    silenced: false,
    partitioned: false,
    rejectWs: false,
    httpDelayMs: 0,
    failures: new Map(),
    httpFailure: null,
  };
}
