import { createComfyPool } from '@comfy-gateway/comfy-core';
import type { JobStream, SharedCacheStore, StreamOptions, WebSocketCtor } from '@comfy-gateway/comfy-core';
import type { IngestFromComfyInput, IngestResult, User } from '@comfy-gateway/schema';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { Db } from '../db/open-db.ts';
import { GatewayError } from '../errors.ts';
import type { ServerConfig } from '../env.ts';
import type { GalleryService } from '../gallery/gallery-service.ts';
import type { Metrics } from '../http/metrics.ts';
import type { ReadinessResult } from '../http/probes.ts';
import type { PresetsService } from '../presets/presets-service.ts';
import { createJobAcceptor } from '../jobs/accept-job.ts';
import type { Caller } from '../jobs/job-access.ts';
import { createJobsQueries } from '../jobs/jobs-queries.ts';
import { createSqliteJobLedger } from '../jobs/sqlite-job-ledger.ts';
import { createComfyMetrics } from './comfy-metrics.ts';
import type { ComfyMetrics } from './comfy-metrics.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { createIngestFromComfy } from './ingest-from-comfy.ts';
import { createComfyOps } from './service.ts';
import { createText2Img } from './text2img.ts';
import { createUpstreamFetch } from './upstream-fetch.ts';
import { endFinishedFollowers, openSharedStream } from './shared-stream.ts';
import { createViewCache } from './view-cache.ts';
import type { SharedJobEvents } from '../shared-state/job-events.ts';

export interface ComfyDeps {
  db: Db;
  logger: Logger;
  presets: PresetsService;
  /** object_info shared with the other instances (Redis); null or absent: per process. */
  objectInfoStore?: SharedCacheStore | null;
  /** Job events shared with the other instances (Redis); null or absent: this process only. */
  sharedEvents?: SharedJobEvents | null;
  /** Tests shorten the tracker's polling. */
  tuning?: { pollIntervalMs?: number; silenceMs?: number; giveUpAfterMs?: number };
}

/** The ComfyUI integration: always present, so routes answer 503 COMFY_DISABLED when it is off. */
export function createComfyService(config: ServerConfig, deps: ComfyDeps) {
  const app = config.app;
  let metrics: ComfyMetrics | null = null;
  let gallery: GalleryService | null = null;
  const log = deps.logger.child({ component: 'comfy' });
  // The ledger is the tracker's repository too: one table, written at acceptance and every change.
  const ledger = createSqliteJobLedger(deps.db);
  const common = {
    timeoutMs: app.comfy_timeout * 1000,
    WebSocket: WebSocket as unknown as WebSocketCtor,
    fetch: createUpstreamFetch(log),
    reconnect: {
      baseDelayMs: app.comfy_reconnect_base_delay_s * 1000,
      maxDelayMs: app.comfy_reconnect_max_delay_s * 1000,
      maxAttempts: app.comfy_reconnect_max_attempts,
    },
    healthIntervalMs: app.comfy_health_interval_s * 1000,
    objectInfoTtlMs: app.comfy_object_info_ttl_s * 1000,
    ...(deps.objectInfoStore ? { objectInfoStore: deps.objectInfoStore } : {}),
    ...(deps.tuning ?? {}),
    // Handled failures (a state write, a background poll): logged, never thrown at a caller.
    onError: (where: string, err: unknown) => log.warn({ err, where }, 'ComfyUI background operation failed'),
  };
  // One server or several: the same pool and gateway queue (one server is a pool of one).
  const pool = app.comfy_enabled
    ? createComfyPool({
        ...common,
        backends: config.backends.map((b) => ({
          name: b.name,
          baseUrl: b.url,
          weight: b.weight,
          maxInFlight: b.maxInFlight,
        })),
        repository: ledger.repository,
        ...(deps.sharedEvents ? { sharedEvents: deps.sharedEvents.bus } : {}),
        retryOnLoss: config.retryOnBackendLoss,
        dispatchTimeoutMs: config.dispatchTimeoutS * 1000,
        onMetric: (name, labels) => metrics?.poolMetric(name, labels),
        onStateChange: (backend, from, to, reason) => {
          log.info({ backend, from, to, reason }, 'ComfyUI connection state changed');
          metrics?.stateChanged(to);
        },
      })
    : null;
  /** The only server's connection (null with several, or when the integration is off). */
  const connection = pool?.members.length === 1 ? (pool.members[0]?.connection ?? null) : null;
  const idempotency = createIdempotencyStore(deps.db);
  // One view cache per server: the same file name on two servers is two files.
  const viewCaches = new Map(
    (pool?.members ?? []).map((m) => [
      m.name,
      createViewCache({ dir: app.comfy_image_dir, baseUrl: m.baseUrl }),
    ]),
  );
  const requirePool = () => {
    if (!pool)
      throw new GatewayError('COMFY_DISABLED', 'the ComfyUI integration is disabled (COMFY_ENABLED=false)');
    return pool;
  };
  /** Drain and resume name one of several servers; draining the only one would stop everything. */
  const drainable = () => {
    const p = requirePool();
    if (p.members.length < 2)
      throw new GatewayError('NOT_FOUND', 'one ComfyUI server only: nothing to drain');
    return p;
  };
  const sharedEvents = deps.sharedEvents;
  sharedEvents?.onResync((ids) => {
    endFinishedFollowers(sharedEvents, (id) => ledger.byId(id), ids).catch((err: unknown) =>
      log.warn({ err }, 'streams of jobs that ended while Redis was away not ended'),
    );
  });
  const accept = createJobAcceptor({ config, ledger, pool: requirePool });
  const ops = createComfyOps({ config, pool, idempotency, viewCaches, ledger, accept });
  const text2img = createText2Img({ ops, presets: deps.presets, idempotency, accept });
  const ingest = createIngestFromComfy({
    config,
    ops,
    ledger,
    gallery: () => {
      if (!gallery) throw new Error('gallery not attached');
      return gallery;
    },
  });

  return {
    ...ops,
    enabled: app.comfy_enabled,
    /** The only server's connection (null with several servers or when disabled). */
    connection,
    /** The servers and the gateway queue (null when the integration is off). */
    pool,
    /** Resolves with a job's final snapshot (tests, tools). */
    waitForEnd: (promptId: string, o: { signal?: AbortSignal } = {}) => requirePool().waitForEnd(promptId, o),
    text2img,
    presets: deps.presets,

    /**
     * A prompt's events for the stream adapters (SSE, tRPC `onStatus`), already subscribed.
     * NOT_FOUND (also for someone else's prompt) before anything is sent; `ended` when the caller
     * has the final event already. A job another instance follows: from the shared bus (Redis).
     */
    async openStream(promptId: string, caller: Caller, o: StreamOptions): Promise<JobStream> {
      await ops.authorizePrompt(promptId, caller);
      const shared = deps.sharedEvents;
      if (shared && !requirePool().follows(promptId)) {
        const row = await ledger.byId(promptId);
        const fromBus = row
          ? await openSharedStream(shared, row, o, (err) =>
              log.warn({ err, promptId }, 'shared job events failed mid-stream'),
            )
          : undefined;
        if (fromBus) return fromBus;
      }
      const stream = await requirePool().openStream(promptId, o);
      if (!stream) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      return stream;
    },
    ingestFromComfy: (input: IngestFromComfyInput, user: User): Promise<IngestResult> => ingest(input, user),
    jobs: createJobsQueries(ledger, { nameBackends: (pool?.members.length ?? 0) > 1 }),
    ledger,

    /** Wires what exists only after the services are built (gallery, metrics). */
    attachServices(s: { gallery: GalleryService; metrics: Metrics }) {
      gallery = s.gallery;
      metrics = createComfyMetrics(s.metrics, pool);
    },

    /** Admins: no new jobs for this server (running ones finish), or new jobs again. */
    drain(name: string): { name: string; draining: boolean } {
      drainable().drain(name);
      return { name, draining: true };
    },
    resume(name: string): { name: string; draining: boolean } {
      drainable().resume(name);
      return { name, draining: false };
    },
    /** Admins: a job's priority, while it waits in the gateway queue (recorded in any case). */
    async setPriority(promptId: string, priority: number, caller: Caller) {
      await ops.authorizePrompt(promptId, caller);
      const row = await ledger.byId(promptId);
      if (!row) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      const waiting = pool?.dispatcher.setPriority(promptId, priority) ?? false;
      if (!waiting) await ledger.repository.setPriority(promptId, priority);
      return {
        prompt_id: promptId,
        priority,
        waiting: waiting && pool?.dispatcher.record(promptId) !== undefined,
      };
    },

    async start() {
      await pool?.start();
    },
    /** Ready while a server is connected or still being reached (degraded everywhere: not ready). */
    readiness(): Promise<ReadinessResult> {
      if (!pool) return Promise.resolve({ name: 'comfy', ok: true, detail: 'disabled' });
      const state = pool.bestState();
      return Promise.resolve({
        name: 'comfy',
        ok: state !== 'degraded' && state !== 'disabled',
        detail: state,
      });
    },
    async close() {
      await pool?.stop();
    },
  };
}

export type ComfyGatewayService = ReturnType<typeof createComfyService>;
