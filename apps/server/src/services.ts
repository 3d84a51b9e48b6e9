import type { IngestFromComfyInput, IngestResult, User } from '@comfy-gateway/schema';
import { createAuthService } from './auth/auth-service.ts';
import type { AuthService } from './auth/auth-service.ts';
import { systemClock } from './auth/user-rows.ts';
import type { Clock } from './auth/user-rows.ts';
import { pingDb } from './db/open-db.ts';
import type { Db } from './db/open-db.ts';
import type { ServerConfig } from './env.ts';
import { createGalleryService } from './gallery/gallery-service.ts';
import type { GalleryService } from './gallery/gallery-service.ts';
import { createMetrics } from './http/metrics.ts';
import type { Metrics } from './http/metrics.ts';
import type { ReadinessCheck, ReadinessResult } from './http/probes.ts';
import { createStaticPresetsService } from './presets/presets-service.ts';
import type { PresetsService } from './presets/presets-service.ts';

/** The ComfyUI integration's slot; `src/comfy/` provides it when `comfy_enabled`. */
export interface ComfyService {
  /** Backs `POST /api/comfy/ingest` with a JSON body: pull an output from ComfyUI into the gallery. */
  ingestFromComfy?(input: IngestFromComfyInput, user: User): Promise<IngestResult>;
  /** Added to `/readyz` as one more check. */
  readiness?(): Promise<ReadinessResult>;
  /** Stops sockets, timers and trackers at shutdown. */
  close(): Promise<void>;
}

/** Everything routes and procedures call; REST and tRPC share these. */
export interface Services {
  auth: AuthService;
  gallery: GalleryService;
  presets: PresetsService;
  metrics: Metrics;
  /** `/readyz` runs each; the ComfyUI integration pushes its own. */
  readinessChecks: ReadinessCheck[];
  comfy?: ComfyService;
}

export interface ServiceOverrides {
  clock?: Clock;
  presets?: PresetsService;
  comfy?: ComfyService;
  /** Process-level metrics (event loop, memory); off in tests that build many apps. */
  defaultMetrics?: boolean;
}

/** Builds the services over an open database. */
export async function createServices(config: ServerConfig, db: Db, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const auth = createAuthService(db, clock, {
    sessionTtlMs: config.sessionTtlHours * 3_600_000,
    loginLimit: { limit: config.loginRateLimitPerMin, windowMs: 60_000 },
  });
  auth.pruneSessions();
  const gallery = await createGalleryService({ rootDir: config.rootDir, db, maxBytes: config.uploadMaxBytes, clock });
  const readinessChecks: ReadinessCheck[] = [
    async function database() {
      return pingDb(db) ? { name: 'database', ok: true } : { name: 'database', ok: false, detail: 'no answer' };
    },
  ];
  const comfy = overrides.comfy;
  if (comfy?.readiness) readinessChecks.push(() => comfy.readiness?.() ?? Promise.resolve({ name: 'comfy', ok: true }));
  return {
    auth,
    gallery,
    presets: overrides.presets ?? createStaticPresetsService(),
    metrics: createMetrics({ defaults: overrides.defaultMetrics }),
    readinessChecks,
    ...(comfy ? { comfy } : {}),
  };
}
