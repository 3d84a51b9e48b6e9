import { randomUUID } from 'node:crypto';
import type { ComfyObjectInfo, ConnectionState, Workflow } from '@comfy-gateway/schema';
import { createTtlCache } from './cache/ttl-cache.ts';
import type { CacheResult, SharedCacheStore } from './cache/ttl-cache.ts';
import { createComfyClient } from './client/comfy-client.ts';
import type { FetchLike } from './client/request.ts';
import { createComfySocket } from './client/socket.ts';
import type { WebSocketCtor } from './client/socket.ts';
import { defaultTimers } from './timers.ts';
import type { JobRepository } from './tracker/job-repository.ts';
import { createJobTracker } from './tracker/job-tracker.ts';
import type { JobTrackerOptions } from './tracker/job-tracker.ts';
import { createWatchdog } from './watchdog/index.ts';
import type { ErrorHook, MetricHook, QueuePromptResult, Timers } from './types.ts';

export interface ComfyConnectionOptions {
  baseUrl: string;
  timeoutMs: number;
  WebSocket: WebSocketCtor;
  fetch?: FetchLike;
  /** The gateway's own client id; stable for the life of the process. */
  clientId?: string;
  reconnect: { baseDelayMs: number; maxDelayMs: number; maxAttempts: number };
  healthIntervalMs: number;
  objectInfoTtlMs: number;
  /** Shares object_info with other gateway instances (keyed by `baseUrl`); a refresh on one serves all. */
  objectInfoStore?: SharedCacheStore;
  pollIntervalMs?: number;
  silenceMs?: number;
  /** Active prompts fail after ComfyUI stays unreachable this long (no stream waits forever). */
  giveUpAfterMs?: number;
  onStateChange?: (from: ConnectionState, to: ConnectionState, reason?: string) => void;
  /** Counters from the tracker (`rescue`, `vanished`, `reconcile`, `job_end`). */
  onMetric?: MetricHook;
  /** Errors that are handled but worth a log line (failed state writes, background polls). */
  onError?: ErrorHook;
  /** Where job state is kept; unfinished jobs in it are followed again on `start()`. */
  repository?: JobRepository;
  now?: () => number;
  timers?: Timers;
  /** Pool wiring (see `createComfyPool`): member name, shared event bus, lost-job hook. */
  pool?: Pick<JobTrackerOptions, 'backend' | 'events' | 'onLost'>;
}

/** One ComfyUI server: HTTP client, one shared socket, watchdog, job tracker and object_info cache. */
export function createComfyConnection(opts: ComfyConnectionOptions) {
  const clientId = opts.clientId ?? randomUUID().replaceAll('-', '');
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? defaultTimers;
  const onError: ErrorHook = opts.onError ?? (() => undefined);
  const client = createComfyClient({
    baseUrl: opts.baseUrl,
    timeoutMs: opts.timeoutMs,
    timers,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const socket = createComfySocket({
    baseUrl: opts.baseUrl,
    clientId,
    WebSocket: opts.WebSocket,
    connectTimeoutMs: opts.timeoutMs,
    now,
    timers,
  });
  const tracker = createJobTracker({
    client,
    clientId,
    now,
    timers,
    onError,
    ...(opts.repository ? { repository: opts.repository } : {}),
    ...(opts.onMetric ? { onMetric: opts.onMetric } : {}),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
    ...(opts.silenceMs !== undefined ? { silenceMs: opts.silenceMs } : {}),
    ...(opts.pool ?? {}),
  });
  const objectInfo = createTtlCache<ComfyObjectInfo>({
    ttlMs: opts.objectInfoTtlMs,
    now,
    ...(opts.objectInfoStore ? { shared: opts.objectInfoStore } : {}),
    onSharedError: (err) => onError('connection.objectInfoStore', err),
  });
  let version: string | null = null;
  let unreachableSince: number | null = null;
  let giveUpTimer: unknown = null;
  const giveUpAfterMs = opts.giveUpAfterMs ?? Math.max(30_000, opts.healthIntervalMs);

  const watchdog = createWatchdog({
    connect: async () => {
      await socket.connect();
      const stats = await client.getSystemStats().catch((err: unknown) => {
        onError('connection.systemStats', err);
        return null;
      });
      version = stats?.system?.comfyui_version ?? version;
    },
    probe: async () => {
      await client.getSystemStats({ timeoutMs: Math.min(opts.timeoutMs, 10_000) });
    },
    baseDelayMs: opts.reconnect.baseDelayMs,
    maxDelayMs: opts.reconnect.maxDelayMs,
    maxAttempts: opts.reconnect.maxAttempts,
    healthIntervalMs: opts.healthIntervalMs,
    now,
    timers,
  });

  socket.onEvent((ev) => tracker.handleEvent(ev));
  socket.onClose((reason) => {
    tracker.setSocketUp(false);
    watchdog.notifyDisconnected(reason);
  });
  watchdog.onState(({ from, to, reason }) => {
    opts.onStateChange?.(from, to, reason);
    if (to === 'connected') {
      unreachableSince = null;
      if (giveUpTimer !== null) timers.clearTimeout(giveUpTimer);
      giveUpTimer = null;
      tracker.setSocketUp(true);
      // Whatever happened while we were away is in /queue and /history.
      void tracker.reconcile().catch((err: unknown) => onError('connection.reconcile', err));
      return;
    }
    tracker.setSocketUp(false);
    if ((to === 'reconnecting' || to === 'degraded') && unreachableSince === null) {
      unreachableSince = now();
      // The reason may name the upstream host: it goes to the log (onStateChange), not to job streams.
      tracker.warnActive('comfy_connection_lost', 'lost the connection to ComfyUI; reconnecting');
      giveUpTimer = timers.setTimeout(() => {
        giveUpTimer = null;
        if (watchdog.state !== 'connected') {
          tracker.failActive(
            'comfy_unreachable',
            `ComfyUI has been unreachable for ${Math.round(giveUpAfterMs / 1000)} s`,
          );
        }
      }, giveUpAfterMs);
    }
  });

  return {
    client,
    clientId,
    tracker,
    watchdog,
    /**
     * Follows again the unfinished jobs the repository holds, then connects; the first connect
     * reconciles them against ComfyUI. A repository that cannot be read is reported, not fatal.
     */
    async start(): Promise<void> {
      await tracker.restore().catch((err: unknown) => onError('connection.restore', err));
      watchdog.start();
    },
    async stop() {
      watchdog.stop();
      socket.close();
      tracker.close();
      if (giveUpTimer !== null) timers.clearTimeout(giveUpTimer);
      giveUpTimer = null;
      await tracker.flush();
    },

    /**
     * Queues a graph under the gateway's client_id and tracks it before returning. With a caller's
     * own client_id, ComfyUI sends its events to that client only, so the prompt is polled.
     * `promptId` lets the gateway choose the id up front (sent as `prompt_id`).
     */
    async queue(
      prompt: Workflow,
      o: {
        promptId?: string;
        /** When the job was accepted (its snapshots' `created_at`); default now. */
        createdAt?: number;
        clientId?: string;
        extraData?: Record<string, unknown>;
        front?: boolean;
        signal?: AbortSignal;
      } = {},
    ) {
      const own = o.clientId === undefined || o.clientId === clientId;
      const res: QueuePromptResult = await client.queuePrompt(
        {
          prompt,
          client_id: o.clientId ?? clientId,
          ...(o.promptId ? { prompt_id: o.promptId } : {}),
          ...(o.extraData ? { extra_data: o.extraData } : {}),
          ...(o.front ? { front: true } : {}),
        },
        o.signal ? { signal: o.signal } : {},
      );
      tracker.track(res.prompt_id, {
        prompt,
        ownSocket: own,
        number: res.number,
        ...(o.createdAt !== undefined ? { createdAt: o.createdAt } : {}),
      });
      return {
        prompt_id: res.prompt_id,
        client_id: o.clientId ?? clientId,
        number: res.number,
        node_errors: res.node_errors,
      };
    },

    /** object_info from the TTL cache: one upstream fetch for concurrent callers, stale copy on failure. */
    getObjectInfo(o: { refresh?: boolean } = {}): Promise<CacheResult<ComfyObjectInfo>> {
      return objectInfo.get(`object_info:${opts.baseUrl}`, () => client.getObjectInfo(), o);
    },
    objectInfoStats: objectInfo.stats,

    info() {
      return {
        ...watchdog.info(),
        clientId,
        version,
        socketOpen: socket.isOpen,
        lastMessageAt: socket.lastMessageAt,
      };
    },
  };
}

export type ComfyConnection = ReturnType<typeof createComfyConnection>;
