import { createComfyConnection, createComfyPool } from '@comfy-gateway/comfy-core';
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
import { createPoolOps } from './pool-service.ts';
import { createComfyOps } from './service.ts';
import { createText2Img } from './text2img.ts';
import { createUpstreamFetch } from './upstream-fetch.ts';
import { createViewCache } from './view-cache.ts';

export interface ComfyDeps {
  db: Db;
  logger: Logger;
  presets: PresetsService;
  /** object_info shared with the other instances (Redis); null or absent: per process. */
  objectInfoStore?: SharedCacheStore | null;
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
  // Several servers: a pool with the gateway queue; one server: a single connection, as before.
  const pooled = app.comfy_enabled && config.backends.length > 1;
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
  const pool = pooled
    ? createComfyPool({
        ...common,
        backends: config.backends.map((b) => ({
          name: b.name,
          baseUrl: b.url,
          weight: b.weight,
          maxInFlight: b.maxInFlight,
        })),
        repository: ledger.repository,
        retryOnLoss: config.retryOnBackendLoss,
        dispatchTimeoutMs: config.dispatchTimeoutS * 1000,
        onMetric: (name, labels) => metrics?.poolMetric(name, labels),
        onStateChange: (backend, from, to, reason) => {
          log.info({ backend, from, to, reason }, 'ComfyUI connection state changed');
          metrics?.stateChanged(to);
        },
      })
    : null;
  // One server: COMFY_API_URL as given (or the single COMFY_BACKENDS entry).
  const singleUrl = app.comfy_backends?.[0]?.url ?? app.comfy_api_url;
  const connection =
    app.comfy_enabled && !pooled
      ? createComfyConnection({
          ...common,
          baseUrl: singleUrl,
          repository: ledger.repository,
          onStateChange: (from, to, reason) => {
            log.info({ from, to, reason }, 'ComfyUI connection state changed');
            metrics?.stateChanged(to);
          },
        })
      : null;
  const idempotency = createIdempotencyStore(deps.db);
  const viewCache = connection ? createViewCache({ dir: app.comfy_image_dir, baseUrl: singleUrl }) : null;
  // One view cache per server: the same file name on two servers is two files.
  const viewCaches = new Map(
    (pool?.members ?? []).map((m) => [
      m.name,
      createViewCache({ dir: app.comfy_image_dir, baseUrl: m.baseUrl }),
    ]),
  );
  const requirePool = () => {
    if (!pool) throw new GatewayError('NOT_FOUND', 'one ComfyUI server only: nothing to drain');
    return pool;
  };
  const conn = () => {
    if (!connection)
      throw new GatewayError('COMFY_DISABLED', 'the ComfyUI integration is disabled (COMFY_ENABLED=false)');
    return connection;
  };
  const accept = createJobAcceptor({ config, ledger, conn, pool });
  const ops = pool
    ? createPoolOps({ config, pool, idempotency, viewCaches, ledger, accept })
    : createComfyOps({ config, connection, idempotency, viewCache, ledger, accept });
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
    connection,
    /** Several servers: the pool (null with one). */
    pool,
    text2img,
    presets: deps.presets,

    /**
     * A prompt's events for the stream adapters (SSE, tRPC `onStatus`), already subscribed.
     * NOT_FOUND (also for someone else's prompt) before anything is sent; `ended` when the caller
     * has the final event already.
     */
    async openStream(promptId: string, caller: Caller, o: StreamOptions): Promise<JobStream> {
      await ops.authorizePrompt(promptId, caller);
      const stream = pool
        ? await pool.openStream(promptId, o)
        : await ops.conn().tracker.openStream(promptId, o);
      if (!stream) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      return stream;
    },
    ingestFromComfy: (input: IngestFromComfyInput, user: User): Promise<IngestResult> => ingest(input, user),
    jobs: createJobsQueries(ledger),
    ledger,

    /** Wires what exists only after the services are built (gallery, metrics). */
    attachServices(s: { gallery: GalleryService; metrics: Metrics }) {
      gallery = s.gallery;
      metrics = createComfyMetrics(s.metrics, connection, pool);
    },

    /** Admins: no new jobs for this server (running ones finish), or new jobs again. */
    drain(name: string): { name: string; draining: boolean } {
      requirePool().drain(name);
      return { name, draining: true };
    },
    resume(name: string): { name: string; draining: boolean } {
      requirePool().resume(name);
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
      await connection?.start();
      await pool?.start();
    },
    readiness(): Promise<ReadinessResult> {
      if (pool) {
        const state = pool.bestState();
        return Promise.resolve({ name: 'comfy', ok: state === 'connected', detail: state });
      }
      if (!connection) return Promise.resolve({ name: 'comfy', ok: true, detail: 'disabled' });
      const state = connection.watchdog.state;
      return Promise.resolve({ name: 'comfy', ok: state !== 'degraded', detail: state });
    },
    async close() {
      await connection?.stop();
      await pool?.stop();
    },
  };
}

export type ComfyGatewayService = ReturnType<typeof createComfyService>;
