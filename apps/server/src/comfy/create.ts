import { createComfyConnection } from '@comfy-gateway/comfy-core';
import type { JobStream, StreamOptions, WebSocketCtor } from '@comfy-gateway/comfy-core';
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
import { createViewCache } from './view-cache.ts';

export interface ComfyDeps {
  db: Db;
  logger: Logger;
  presets: PresetsService;
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
  const connection = app.comfy_enabled
    ? createComfyConnection({
        baseUrl: app.comfy_api_url,
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
        ...(deps.tuning ?? {}),
        repository: ledger.repository,
        // Handled failures (a state write, a background poll): logged, never thrown at a caller.
        onError: (where, err) => log.warn({ err, where }, 'ComfyUI background operation failed'),
        onStateChange: (from, to, reason) => {
          log.info({ from, to, reason }, 'ComfyUI connection state changed');
          metrics?.stateChanged(to);
        },
      })
    : null;
  const idempotency = createIdempotencyStore(deps.db);
  const viewCache = connection
    ? createViewCache({ dir: app.comfy_image_dir, baseUrl: app.comfy_api_url })
    : null;
  const conn = () => {
    if (!connection)
      throw new GatewayError('COMFY_DISABLED', 'the ComfyUI integration is disabled (COMFY_ENABLED=false)');
    return connection;
  };
  const accept = createJobAcceptor({ config, ledger, conn });
  const ops = createComfyOps({ config, connection, idempotency, viewCache, ledger, accept });
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
    text2img,
    presets: deps.presets,

    /**
     * A prompt's events for the stream adapters (SSE, tRPC `onStatus`), already subscribed.
     * NOT_FOUND (also for someone else's prompt) before anything is sent; `ended` when the caller
     * has the final event already.
     */
    async openStream(promptId: string, caller: Caller, o: StreamOptions): Promise<JobStream> {
      await ops.authorizePrompt(promptId, caller);
      const stream = await ops.conn().tracker.openStream(promptId, o);
      if (!stream) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      return stream;
    },
    ingestFromComfy: (input: IngestFromComfyInput, user: User): Promise<IngestResult> => ingest(input, user),
    jobs: createJobsQueries(ledger),
    ledger,

    /** Wires what exists only after the services are built (gallery, metrics). */
    attachServices(s: { gallery: GalleryService; metrics: Metrics }) {
      gallery = s.gallery;
      metrics = createComfyMetrics(s.metrics, connection);
    },
    async start() {
      await connection?.start();
    },
    readiness(): Promise<ReadinessResult> {
      if (!connection) return Promise.resolve({ name: 'comfy', ok: true, detail: 'disabled' });
      const state = connection.watchdog.state;
      return Promise.resolve({ name: 'comfy', ok: state !== 'degraded', detail: state });
    },
    async close() {
      await connection?.stop();
    },
  };
}

export type ComfyGatewayService = ReturnType<typeof createComfyService>;
