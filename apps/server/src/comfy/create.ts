import type { RpcHandler } from '@comfy-gateway/cluster';
import { createComfyPool, isGatewayError } from '@comfy-gateway/comfy-core';
import type {
  ComfyPool,
  JobStream,
  PoolJob,
  SharedCacheStore,
  StreamOptions,
  WebSocketCtor,
} from '@comfy-gateway/comfy-core';
import type { IngestFromComfyInput, IngestResult, JobSnapshot, User } from '@comfy-gateway/schema';
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
import { routeToDispatcher } from './cluster-ops.ts';
import { createComfyMetrics } from './comfy-metrics.ts';
import type { ComfyMetrics } from './comfy-metrics.ts';
import { createDispatchRole } from './dispatch-role.ts';
import { withHandover } from './handover-stream.ts';
import type { HandoverStream } from './handover-stream.ts';
import type { ClusterLink } from './dispatch-role.ts';
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
  /**
   * A cluster (REDIS_URL and DATABASE_URL): the dispatch lease decides which instance follows the
   * ComfyUI servers; `clientId` is the cluster's one client id towards them. Absent: one process.
   */
  cluster?: (ClusterLink & { clientId: string }) | null;
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
  const backends = config.backends.map((b) => ({
    name: b.name,
    baseUrl: b.url,
    weight: b.weight,
    maxInFlight: b.maxInFlight,
  }));
  // One server or several: the same pool and gateway queue (one server is a pool of one).
  const makePool = () => {
    const pool = createComfyPool({
      ...common,
      ...(deps.cluster ? { clientId: deps.cluster.clientId } : {}),
      backends,
      repository: ledger.repository,
      ...(deps.sharedEvents ? { sharedEvents: deps.sharedEvents.bus } : {}),
      retryOnLoss: config.retryOnBackendLoss,
      dispatchTimeoutMs: config.dispatchTimeoutS * 1000,
      onMetric: (name, labels) => metrics?.poolMetric(name, labels),
      onStateChange: (backend, from, to, reason) => {
        log.info({ backend, from, to, reason }, 'ComfyUI connection state changed');
        metrics?.stateChanged(to);
      },
    });
    metrics?.watch(pool);
    return pool;
  };
  // Late-bound: what the lease holder answers is built from the ops below.
  let serve: RpcHandler = () => Promise.reject(new Error('not ready'));
  const role = app.comfy_enabled
    ? createDispatchRole({
        makePool,
        cluster: deps.cluster ?? null,
        serve: (op, args) => serve(op, args),
        listPending: () => ledger.repository.listPending(),
        log,
      })
    : null;
  /** The pool now (a standby's is unstarted); null when the integration is off. */
  const currentPool = (): ComfyPool | null => role?.pool() ?? null;
  /** The only server's connection (null with several, or when the integration is off). */
  const onlyConnection = () => {
    const p = currentPool();
    return p?.members.length === 1 ? (p.members[0]?.connection ?? null) : null;
  };
  const members = role?.pool().members ?? [];
  const idempotency = createIdempotencyStore(deps.db);
  // One view cache per server: the same file name on two servers is two files.
  const viewCaches = new Map(
    members.map((m) => [m.name, createViewCache({ dir: app.comfy_image_dir, baseUrl: m.baseUrl })]),
  );
  const requirePool = () => {
    const pool = currentPool();
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
  /** A cluster's standby hands a job to the lease holder; without one reachable it waits in the ledger. */
  const handOff = async (job: PoolJob): Promise<void> => {
    if (!role || role.dispatches()) {
      await requirePool().submit(job);
      return;
    }
    try {
      await role.call('submit', { promptId: job.promptId });
    } catch (err) {
      // No holder now (a handover), or Redis away: the next holder adopts it from the ledger.
      if (isGatewayError(err) && (err.code === 'COMFY_UNAVAILABLE' || err.code === 'REDIS_UNAVAILABLE')) {
        log.info(
          { promptId: job.promptId, code: err.code },
          'job left in the ledger for the next dispatcher',
        );
        return;
      }
      throw err;
    }
  };
  const accept = createJobAcceptor({
    config,
    ledger,
    pool: requirePool,
    submit: handOff,
    activeCount: deps.cluster
      ? () => ledger.activeCount()
      : () => Promise.resolve(requirePool().activeCount()),
  });
  const local = createComfyOps({
    config,
    pool: currentPool,
    idempotency,
    viewCaches,
    ledger,
    accept,
    ...(deps.sharedEvents && deps.cluster ? { liveSnapshot: liveFromBus(deps.sharedEvents) } : {}),
  });
  const dispatcherOps = {
    cancel: (a: { promptId: string; caller: Caller }) => local.cancel(a.promptId, a.caller),
    queueState: (a: { caller: Caller }) => local.queueState(a.caller),
    health: (a: { viewer: Caller }) => Promise.resolve(local.health(a.viewer)),
    drain: (a: { name: string }) => {
      drainable().drain(a.name);
      return Promise.resolve({ name: a.name, draining: true });
    },
    resume: (a: { name: string }) => {
      drainable().resume(a.name);
      return Promise.resolve({ name: a.name, draining: false });
    },
    setPriority: async (a: { promptId: string; priority: number }) => {
      const waiting = requirePool().dispatcher.setPriority(a.promptId, a.priority);
      if (!waiting) await ledger.repository.setPriority(a.promptId, a.priority);
      return waiting && requirePool().dispatcher.record(a.promptId) !== undefined;
    },
    /** A job another instance accepted (its row is written): into this holder's gateway queue. */
    submit: async (a: { promptId: string }) => {
      const pool = requirePool();
      const pending = await ledger.pending(a.promptId);
      if (!pending) return null;
      pool.adopt(pending);
      await pool.dispatcher.untilSent(a.promptId);
      return pool.get(a.promptId) ?? null;
    },
  };
  const routed = routeToDispatcher(role, dispatcherOps);
  serve = routed.handler;
  const ops = {
    ...local,
    cancel: (promptId: string, caller: Caller) => routed.call.cancel({ promptId, caller }),
    queueState: (caller: Caller) => routed.call.queueState({ caller }),
  };
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

  // Streams this instance serves from its own pool: when it stops dispatching (a lost lease)
  // they carry on from the shared events, so their clients see no cut.
  const ownStreams = new Set<HandoverStream>();
  role?.onLost(() => {
    for (const s of [...ownStreams]) s.handOver();
  });

  /** A job another instance follows (or followed): the shared bus, else the ledger's final state. */
  const sharedStreamOf = async (promptId: string, o: StreamOptions): Promise<JobStream | undefined> => {
    const shared = deps.sharedEvents;
    const row = shared ? await ledger.byId(promptId) : undefined;
    if (!shared || !row) return undefined;
    const fromBus = await openSharedStream(shared, row, o, (err) =>
      log.warn({ err, promptId }, 'shared job events failed mid-stream'),
    );
    return fromBus ?? requirePool().openStream(promptId, o);
  };

  /** A job's events: this instance's pool when it follows the job, else the shared bus. */
  const streamOf = async (promptId: string, o: StreamOptions): Promise<JobStream> => {
    const pool = requirePool();
    if (deps.sharedEvents && !pool.follows(promptId)) {
      const fromBus = await sharedStreamOf(promptId, o);
      if (fromBus) return fromBus;
    }
    const stream = await pool.openStream(promptId, o);
    if (!stream) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
    if (!deps.cluster || stream.ended) return stream;
    const handover = withHandover(
      stream,
      o,
      async (after) => {
        const next = await sharedStreamOf(promptId, { ...o, after });
        if (!next) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
        return next;
      },
      () => ownStreams.delete(handover),
    );
    ownStreams.add(handover);
    return handover;
  };

  return {
    ...ops,
    enabled: app.comfy_enabled,
    /** The only server's connection (null with several servers or when disabled). */
    get connection() {
      return onlyConnection();
    },
    /** The servers and the gateway queue now (null when the integration is off). */
    get pool() {
      return currentPool();
    },
    /** Who dispatches: one process (`single`), or in a cluster the lease `holder` or a `standby`. */
    get role() {
      return role?.role ?? 'single';
    },
    /** Resolves with a job's final snapshot (tests, tools). */
    async waitForEnd(promptId: string, o: { signal?: AbortSignal } = {}) {
      const s = await streamOf(promptId, o.signal ? { signal: o.signal } : {});
      if (s.ended) return s.snapshot;
      for await (const e of s) if (e.event.type === 'done') return e.event.snapshot;
      throw o.signal?.reason ?? new Error(`the stream of ${promptId} ended without done`);
    },
    text2img,
    presets: deps.presets,
    /** The dispatching instance's view; this instance's own while none can be reached (a handover). */
    health: (viewer: Caller) => routed.call.health({ viewer }).catch(() => local.health(viewer)),

    /**
     * A prompt's events for the stream adapters (SSE, tRPC `onStatus`), already subscribed.
     * NOT_FOUND (also for someone else's prompt) before anything is sent; `ended` when the caller
     * has the final event already. A job another instance follows: from the shared bus (Redis).
     */
    async openStream(promptId: string, caller: Caller, o: StreamOptions): Promise<JobStream> {
      await ops.authorizePrompt(promptId, caller);
      return streamOf(promptId, o);
    },
    ingestFromComfy: (input: IngestFromComfyInput, user: User): Promise<IngestResult> => ingest(input, user),
    jobs: createJobsQueries(ledger, { nameBackends: members.length > 1 }),
    ledger,

    /** Wires what exists only after the services are built (gallery, metrics). */
    attachServices(s: { gallery: GalleryService; metrics: Metrics }) {
      gallery = s.gallery;
      metrics = createComfyMetrics(s.metrics, currentPool);
    },

    /** Admins: no new jobs for this server (running ones finish), or new jobs again. */
    async drain(name: string): Promise<{ name: string; draining: boolean }> {
      drainable();
      return routed.call.drain({ name });
    },
    async resume(name: string): Promise<{ name: string; draining: boolean }> {
      drainable();
      return routed.call.resume({ name });
    },
    /** Admins: a job's priority, while it waits in the gateway queue (recorded in any case). */
    async setPriority(promptId: string, priority: number, caller: Caller) {
      await ops.authorizePrompt(promptId, caller);
      const row = await ledger.byId(promptId);
      if (!row) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      const waiting = await routed.call.setPriority({ promptId, priority });
      return { prompt_id: promptId, priority, waiting };
    },

    async start() {
      await role?.start();
    },
    /**
     * Ready while a server is connected or still being reached (degraded everywhere: not ready).
     * A cluster's standby follows no server itself: ready while it can reach the holder.
     */
    async readiness(): Promise<ReadinessResult> {
      if (!role) return { name: 'comfy', ok: true, detail: 'disabled' };
      if (!role.dispatches()) {
        const health = await routed.call.health({ viewer: { id: 0, role: 'user' } }).catch(() => null);
        const state = health?.service?.connection_state ?? 'unknown (no dispatcher reachable)';
        return { name: 'comfy', ok: state !== 'degraded' && state !== 'disabled', detail: state };
      }
      const state = requirePool().bestState();
      return { name: 'comfy', ok: state !== 'degraded' && state !== 'disabled', detail: state };
    },
    /** `/readyz`: which part this instance plays (`single`, or a cluster's `holder` / `standby`). */
    dispatchReadiness(): Promise<ReadinessResult> {
      return Promise.resolve({ name: 'dispatch', ok: true, detail: role?.role ?? 'disabled' });
    },
    async close() {
      await role?.stop();
    },
  };
}

/** The newest snapshot another instance published for a job (null when Redis has none or is away). */
function liveFromBus(shared: SharedJobEvents) {
  return (promptId: string): Promise<JobSnapshot | undefined> =>
    shared.log.latestSnapshot(promptId).catch(() => undefined);
}

export type ComfyGatewayService = ReturnType<typeof createComfyService>;
