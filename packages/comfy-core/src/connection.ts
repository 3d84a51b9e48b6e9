import { randomUUID } from 'node:crypto';
import type { ComfyObjectInfo, ConnectionState, Workflow } from '@comfy-gateway/schema';
import { createTtlCache } from './cache/ttl-cache.ts';
import type { CacheResult } from './cache/ttl-cache.ts';
import { createComfyClient } from './client/comfy-client.ts';
import type { FetchLike } from './client/request.ts';
import { createComfySocket } from './client/socket.ts';
import type { WebSocketCtor } from './client/socket.ts';
import { createJobTracker } from './tracker/job-tracker.ts';
import { createWatchdog } from './watchdog/index.ts';
import type { MetricHook, QueuePromptResult } from './types.ts';

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
  pollIntervalMs?: number;
  silenceMs?: number;
  /** Active prompts fail after ComfyUI stays unreachable this long (no stream waits forever). */
  giveUpAfterMs?: number;
  onStateChange?: (from: ConnectionState, to: ConnectionState, reason?: string) => void;
  /** Counters from the tracker (`rescue`, `vanished`, `reconcile`, `job_end`). */
  onMetric?: MetricHook;
}

/** One ComfyUI server: HTTP client, one shared socket, watchdog, job tracker and object_info cache. */
export function createComfyConnection(opts: ComfyConnectionOptions) {
  const clientId = opts.clientId ?? randomUUID().replaceAll('-', '');
  const client = createComfyClient({
    baseUrl: opts.baseUrl,
    timeoutMs: opts.timeoutMs,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const socket = createComfySocket({
    baseUrl: opts.baseUrl,
    clientId,
    WebSocket: opts.WebSocket,
    connectTimeoutMs: opts.timeoutMs,
  });
  const tracker = createJobTracker({
    client,
    clientId,
    ...(opts.onMetric ? { onMetric: opts.onMetric } : {}),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
    ...(opts.silenceMs !== undefined ? { silenceMs: opts.silenceMs } : {}),
  });
  const objectInfo = createTtlCache<ComfyObjectInfo>({ ttlMs: opts.objectInfoTtlMs });
  let version: string | null = null;
  let unreachableSince: number | null = null;
  let giveUpTimer: ReturnType<typeof setTimeout> | null = null;
  const giveUpAfterMs = opts.giveUpAfterMs ?? Math.max(30_000, opts.healthIntervalMs);

  const watchdog = createWatchdog({
    connect: async () => {
      await socket.connect();
      const stats = await client.getSystemStats().catch(() => null);
      version = stats?.system?.comfyui_version ?? version;
    },
    probe: async () => {
      await client.getSystemStats({ timeoutMs: Math.min(opts.timeoutMs, 10_000) });
    },
    baseDelayMs: opts.reconnect.baseDelayMs,
    maxDelayMs: opts.reconnect.maxDelayMs,
    maxAttempts: opts.reconnect.maxAttempts,
    healthIntervalMs: opts.healthIntervalMs,
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
      if (giveUpTimer) clearTimeout(giveUpTimer);
      giveUpTimer = null;
      tracker.setSocketUp(true);
      // Whatever happened while we were away is in /queue and /history.
      void tracker.reconcile().catch(() => undefined);
      return;
    }
    tracker.setSocketUp(false);
    if ((to === 'reconnecting' || to === 'degraded') && unreachableSince === null) {
      unreachableSince = Date.now();
      tracker.warnActive(
        'comfy_connection_lost',
        `lost the connection to ComfyUI (${reason ?? 'unknown'}); reconnecting`,
      );
      giveUpTimer = setTimeout(() => {
        if (watchdog.state !== 'connected') {
          tracker.failActive(
            'comfy_unreachable',
            `ComfyUI has been unreachable for ${Math.round(giveUpAfterMs / 1000)} s`,
          );
        }
      }, giveUpAfterMs);
      giveUpTimer.unref?.();
    }
  });

  return {
    client,
    clientId,
    tracker,
    watchdog,
    start: () => watchdog.start(),
    async stop() {
      watchdog.stop();
      socket.close();
      tracker.close();
      if (giveUpTimer) clearTimeout(giveUpTimer);
    },

    /**
     * Queues a graph under the gateway's client_id and tracks it before returning. With a caller's
     * own client_id, ComfyUI sends its events to that client only, so the prompt is polled.
     */
    async queue(
      prompt: Workflow,
      o: {
        clientId?: string;
        extraData?: Record<string, unknown>;
        front?: boolean;
        /** The id the gateway picked (written to its ledger before this call). */
        promptId?: string;
        signal?: AbortSignal;
      } = {},
    ) {
      const own = o.clientId === undefined || o.clientId === clientId;
      const res: QueuePromptResult = await client.queuePrompt(
        {
          prompt,
          client_id: o.clientId ?? clientId,
          ...(o.extraData ? { extra_data: o.extraData } : {}),
          ...(o.front ? { front: true } : {}),
          ...(o.promptId ? { prompt_id: o.promptId } : {}),
        },
        o.signal ? { signal: o.signal } : {},
      );
      tracker.track(res.prompt_id, { prompt, ownSocket: own, number: res.number });
      return {
        prompt_id: res.prompt_id,
        client_id: o.clientId ?? clientId,
        number: res.number,
        node_errors: res.node_errors,
      };
    },

    /** object_info from the TTL cache: one upstream fetch for concurrent callers, stale copy on failure. */
    getObjectInfo(o: { refresh?: boolean } = {}): Promise<CacheResult<ComfyObjectInfo>> {
      return objectInfo.get('all', () => client.getObjectInfo(), o);
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
