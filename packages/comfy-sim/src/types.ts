export interface ComfySimOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Holds input/ output/ temp/; default a fresh mkdtemp dir. */
  rootDir?: string;
  /** Delay per sampler step, default 0. */
  stepMs?: number;
  /** Delay per non-sampler node, default 0. */
  nodeMs?: number;
  checkpoints?: string[];
  loras?: string[];
  vaes?: string[];
  /** Include the Detail Daemon pack; default true. */
  customNodes?: boolean;
  /** Sampler preview frames (as --preview-method latent2rgb); default true. */
  previews?: boolean;
  /** system_stats comfyui_version, default '0.3.64'. */
  version?: string;
  /** Merged into /object_info (e.g. to make it 5 MB for benchmarks). */
  extraObjectInfo?: Record<string, unknown>;
}

export interface SimFaults {
  /** Terminate every WS connection now (server keeps running and executing). */
  dropSockets(): void;
  /** Keep sockets open but send nothing on them (execution continues, history still written). */
  silence(on: boolean): void;
  /** Next executions of that class raise execution_error (until clearFailures). */
  failNode(classType: string, message?: string): void;
  clearFailures(): void;
  /** Added latency before every HTTP response (default 0). */
  httpDelayMs: number;
  /** Answer 500 (or status) for matching routes, count times (Infinity by default); null clears. */
  failHttp(opts: { status?: number; routes?: RegExp; count?: number } | null): void;
  /** Refuse new WS upgrades (HTTP still works). */
  rejectWs(on: boolean): void;
  /**
   * Network cut (not a restart): open sockets and HTTP connections are reset and new ones are
   * reset on arrival, while the queue keeps executing and history is kept. `false` heals it.
   */
  partition(on: boolean): void;
}

export interface ComfySimStats {
  wsConnections(): number;
  wsConnectionsTotal: number;
  requests: Record<string, number>;
  promptsAccepted: number;
  /** Prompt ids whose execution started, in order; kept across stop/restart (not in the protocol). */
  readonly started: readonly string[];
}

export interface ComfySim {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly rootDir: string;
  readonly faults: SimFaults;
  readonly stats: ComfySimStats;
  /** Like killing ComfyUI: sockets and server closed; queue, history and cache are lost. */
  stop(): Promise<void>;
  /** Start again on the same port with an empty queue/history and the number counter at 0. */
  restart(): Promise<void>;
  /** Stop for good and remove rootDir if it was a temp dir. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
