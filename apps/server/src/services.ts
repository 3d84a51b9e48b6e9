import { randomUUID } from 'node:crypto';
import type { Services as ApiServices } from '@comfy-gateway/api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createComfyService } from './comfy/create.ts';
import type { ComfyGatewayService } from './comfy/create.ts';
import { createLogger } from './http/logger.ts';
import { createAuthService } from './auth/auth-service.ts';
import type { AuthService } from './auth/auth-service.ts';
import { systemClock } from './auth/user-rows.ts';
import type { Clock } from './auth/user-rows.ts';
import { databaseReadiness } from './db/database-readiness.ts';
import type { Db } from './db/open-db.ts';
import type { ServerConfig } from './env.ts';
import { createGalleryService } from './gallery/gallery-service.ts';
import type { GalleryService } from './gallery/gallery-service.ts';
import { createMetrics } from './http/metrics.ts';
import type { Metrics } from './http/metrics.ts';
import type { ReadinessCheck } from './http/probes.ts';
import { createPresetsService } from './presets/presets-service.ts';
import { createSharedState } from './shared-state/shared-state.ts';
import type { SharedState } from './shared-state/shared-state.ts';
import type { PresetsService } from './presets/presets-service.ts';

const CLIENT_ID_KEY = 'cg:cluster:client-id';

/** The ComfyUI integration (always present; answers 503 COMFY_DISABLED when off). */
export type ComfyService = ComfyGatewayService;

/**
 * Everything routes and procedures call; REST and tRPC share these. Extending the api package's
 * contract makes a drift between the two a compile error here.
 */
export interface Services extends ApiServices {
  auth: AuthService;
  gallery: GalleryService;
  presets: PresetsService;
  metrics: Metrics;
  /** `/readyz` runs each; the ComfyUI integration pushes its own. */
  readinessChecks: ReadinessCheck[];
  comfy: ComfyService;
  /** Limits, stream counts and caches: in process, or shared through Redis (`REDIS_URL`). */
  shared: SharedState;
}

export interface ServiceOverrides {
  clock?: Clock;
  presets?: PresetsService;
  /** Test tuning of the ComfyUI tracker (faster polling). */
  comfyTuning?: { pollIntervalMs?: number; silenceMs?: number; giveUpAfterMs?: number };
  logger?: Logger;
  /** Cluster tests shorten the dispatch lease (TTL, renewal, retry). */
  leaseTiming?: { ttlMs?: number; renewEveryMs?: number; retryEveryMs?: number };
  /** Process-level metrics (event loop, memory); off in tests that build many apps. */
  defaultMetrics?: boolean;
}

/** Builds the services over an open database. */
export async function createServices(
  config: ServerConfig,
  db: Db,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const shared = await createSharedState({
    redisUrl: config.redisUrl,
    logger,
  });
  const auth = createAuthService(
    db,
    clock,
    {
      sessionTtlMs: config.sessionTtlHours * 3_600_000,
      loginLimit: { limit: config.loginRateLimitPerMin, windowMs: 60_000 },
      loginIpLimit: { limit: config.loginIpRateLimitPerMin, windowMs: 60_000 },
      hashConcurrency: { concurrency: config.loginHashConcurrency, queue: config.loginHashQueue },
      defaultExpiryDays: config.tokenDefaultExpiryDays,
      maxStreamsPerUser: config.userMaxStreams,
    },
    { limiters: shared.limiters, streamSlots: shared.streamSlots, revocations: shared.revocations },
  );
  await auth.pruneSessions();
  const gallery = await createGalleryService({
    rootDir: config.rootDir,
    db,
    maxBytes: config.uploadMaxBytes,
    clock,
  });
  const readinessChecks: ReadinessCheck[] = [databaseReadiness(db)];
  if (shared.readiness) readinessChecks.push(shared.readiness);
  const presets = overrides.presets ?? createPresetsService(config.presetsDir, logger);
  const metrics = createMetrics({ defaults: overrides.defaultMetrics });
  if (shared.mode === 'redis')
    metrics.gauge({
      name: 'comfy_gateway_redis_up',
      help: '1 while the shared-state Redis connection is ready, else 0',
      collect() {
        this.set(shared.redisState() === 'ready' ? 1 : 0);
      },
    });
  // A cluster: instances share the ledger (DATABASE_URL) and Redis, so one of them dispatches.
  const cluster =
    shared.redis && config.databaseUrl !== null
      ? {
          redis: shared.redis.client,
          instanceId: shared.instanceId,
          clientId: await clusterClientId(shared.redis.client),
          ...(overrides.leaseTiming ? { lease: overrides.leaseTiming } : {}),
        }
      : null;
  const comfy = createComfyService(config, {
    db,
    logger,
    presets,
    objectInfoStore: shared.cacheStore,
    sharedEvents: shared.jobEvents,
    cluster,
    ...(overrides.comfyTuning ? { tuning: overrides.comfyTuning } : {}),
  });
  comfy.attachServices({ gallery, metrics });
  readinessChecks.push(() => comfy.readiness());
  if (cluster) readinessChecks.push(() => comfy.dispatchReadiness());
  return { auth, gallery, presets, metrics, readinessChecks, comfy, shared };
}

/**
 * The cluster's one client id towards ComfyUI: every lease holder uses it, so a new holder gets
 * the progress frames of prompts the last one sent. Random when Redis cannot be asked now.
 */
async function clusterClientId(redis: Redis): Promise<string> {
  const fresh = randomUUID().replaceAll('-', '');
  try {
    await redis.set(CLIENT_ID_KEY, fresh, 'NX');
    return (await redis.get(CLIENT_ID_KEY)) ?? fresh;
  } catch {
    return fresh;
  }
}
