import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ComfyConnection, ComfyPool, PoolMember } from '@comfy-gateway/comfy-core';
import type { CacheResult } from '@comfy-gateway/comfy-core/cache';
import { contentHash } from '@comfy-gateway/comfy-core/cache';
import { comfyQueueResponseSchema, isFinalJobStatus } from '@comfy-gateway/schema';
import type {
  BackendHealth,
  ComfyObjectInfo,
  ComfyQueueRequest,
  ComfyQueueResponse,
  Health,
  HistorySummary,
  ImageRef,
  JobSnapshot,
  QueueItem,
  QueueState,
  User,
  Workflow,
} from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { ServerConfig } from '../env.ts';
import type { JobAcceptor } from '../jobs/accept-job.ts';
import { isAdmin, requireJob, unknownPrompt } from '../jobs/job-access.ts';
import type { Caller } from '../jobs/job-access.ts';
import type { JobLedger, LedgerJob } from '../jobs/job-ledger.ts';
import { historyFromLedger, snapshotFromLedger } from '../jobs/job-record.ts';
import { guardWorkflow } from '../jobs/workflow-guard.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { pendingHistory, summarizeHistory } from './history-summary.ts';
import { noServerCanRun } from './no-server.ts';
import { checkPriority } from './priority.ts';
import { serverQueues } from './server-queues.ts';
import type { ViewCache, ViewSource } from './view-cache.ts';
import { mimeFor } from './view-cache.ts';

/** `?refresh=1` of object_info reaches ComfyUI at most once per this window; others share it. */
const OBJECT_INFO_REFRESH_MS = 10_000;

/** The ComfyUI server that ran a job (several servers: the job row's `backend`). */
export type UpstreamOf = (backend: string | null | undefined) => {
  client: ComfyConnection['client'];
  version: string | null;
  url: string;
  backend?: string;
};

export type FieldOf = (nodeId: string, input?: string) => string | undefined;

export interface CallContext {
  user: Pick<User, 'id' | 'role'>;
  idempotencyKey?: string | undefined;
}

/**
 * Queueing, status, history, cancel, queue, object_info and view over the pool of ComfyUI servers
 * and its gateway queue. One server is a pool of one; it is just not named in answers.
 */
export function createComfyOps(deps: {
  config: ServerConfig;
  /** The pool now (a cluster's standby: unstarted); null when off: every call is then 503 COMFY_DISABLED. */
  pool: () => ComfyPool | null;
  /** A job's newest snapshot from another instance (cluster): live state this process does not follow. */
  liveSnapshot?: (promptId: string) => Promise<JobSnapshot | undefined>;
  idempotency: IdempotencyStore;
  viewCaches: Map<string, ViewCache>;
  ledger: JobLedger;
  accept: JobAcceptor;
  now?: () => number;
}) {
  const { config, idempotency, ledger } = deps;
  const now = deps.now ?? Date.now;
  const refreshes = new Map<string, { at: number; result: Promise<CacheResult<ComfyObjectInfo>> }>();

  const p = (): ComfyPool => {
    const pool = deps.pool();
    if (!pool)
      throw new GatewayError('COMFY_DISABLED', 'the ComfyUI integration is disabled (COMFY_ENABLED=false)');
    return pool;
  };
  /** Live state: this process's pool, else (cluster) what the dispatching instance last published. */
  const liveOf = async (promptId: string, row: LedgerJob | null): Promise<JobSnapshot | undefined> =>
    p().get(promptId) ??
    (row && !isFinalJobStatus(row.status) && deps.liveSnapshot
      ? await deps.liveSnapshot(promptId)
      : undefined);
  /** Several servers are named in answers (queue rows, health); one is not. */
  const named = () => p().members.length > 1;

  /** Live state from the pool, else the ledger, else (admins only) a server's own lists. */
  const status = async (promptId: string, caller: Caller): Promise<JobSnapshot> => {
    const pool = p();
    const row = await requireJob(ledger, promptId, caller);
    const live = await liveOf(promptId, row);
    if (live) return live;
    if (row) return snapshotFromLedger(row);
    const found = await pool.lookupForeign(promptId);
    if (!found) throw unknownPrompt(promptId);
    return found.snapshot;
  };

  /** The server a job ran on (its row says), for history, images and ingest. */
  const memberOf = (backend: string | null | undefined): PoolMember | undefined =>
    backend ? p().members.find((m) => m.name === backend) : undefined;
  /** With one server, every job and file is on it (rows from before the pool name none). */
  const onlyMember = (): PoolMember | undefined => (named() ? undefined : p().members[0]);

  /** One server's cached object_info; a forced refresh reaches it once per window. */
  const memberInfo = (name: string, refresh: boolean): Promise<CacheResult<ComfyObjectInfo>> => {
    const pool = p();
    if (!refresh) return pool.objectInfoOf(name);
    const last = refreshes.get(name);
    if (last && now() - last.at < OBJECT_INFO_REFRESH_MS)
      return last.result.catch(() => pool.objectInfoOf(name));
    const result = pool.objectInfoOf(name, { refresh: true });
    refreshes.set(name, { at: now(), result });
    return result;
  };

  /** object_info: one server's (`backend`, or the only one), else the union of all. */
  const objectInfo = async (
    o: { refresh?: boolean; backend?: string } = {},
  ): Promise<CacheResult<ComfyObjectInfo>> => {
    const pool = p();
    const one = o.backend ?? onlyMember()?.name;
    if (one !== undefined) return memberInfo(pool.member(one).name, o.refresh === true);
    const value = await pool.objectInfo(o);
    return { value, hash: contentHash(value), fetchedAt: now(), stale: false };
  };

  const backendHealth = (m: PoolMember, admin: boolean): BackendHealth => {
    const info = m.connection.info();
    return {
      name: m.name,
      state: info.state,
      in_flight: p().dispatcher.inFlight(m),
      queue_remaining: m.connection.tracker.queuedCount(),
      version: info.version,
      draining: m.draining,
      max_in_flight: m.maxInFlight,
      ...(admin ? { url: m.baseUrl, last_error: info.lastError ?? null } : {}),
    };
  };

  const upstreamOf: UpstreamOf = (backend) => {
    const m = memberOf(backend) ?? p().members[0];
    if (!m) throw new GatewayError('COMFY_UNAVAILABLE', 'no ComfyUI server configured');
    return {
      client: m.connection.client,
      version: m.connection.info().version,
      url: m.baseUrl,
      ...(named() ? { backend: m.name } : {}),
    };
  };

  return {
    /** 400 when no configured server has every node class and option the workflow uses. */
    async checkRunnable(workflow: Workflow, fieldOf?: FieldOf): Promise<void> {
      const missing = await p().missingEverywhere(workflow, fieldOf);
      if (missing.length > 0) throw noServerCanRun(missing);
    },
    /** The only server's connection (tests, one-server tools); 503 when the integration is off. */
    conn: (): ComfyConnection => {
      const only = onlyMember();
      if (!only) throw new GatewayError('INTERNAL', 'several ComfyUI servers: use the pool');
      return only.connection;
    },
    status,
    objectInfo,
    upstreamOf,

    /** 404 unless the caller owns the prompt (admins: any); the gate before a stream opens. */
    async authorizePrompt(promptId: string, caller: Caller): Promise<void> {
      await status(promptId, caller);
    },

    /** Server URLs and last errors only for admins: they name internal hosts. */
    health(viewer: Pick<User, 'role'>): Health {
      const base = { status: 'ok' as const, enabled: config.app.comfy_enabled };
      const pool = deps.pool();
      if (!config.app.comfy_enabled || !pool) return base;
      const admin = viewer.role === 'admin';
      const first = pool.members[0]?.connection.info();
      const several = pool.members.length > 1;
      const lastError = several
        ? (pool.members.find((m) => m.connection.info().lastError)?.connection.info().lastError ?? null)
        : (first?.lastError ?? null);
      return {
        ...base,
        service: {
          ...(admin ? { base_url: pool.members.map((m) => m.baseUrl).join(','), last_error: lastError } : {}),
          timeout: config.app.comfy_timeout,
          client_wired: true,
          connection_state: pool.bestState(),
          last_success_at: first?.lastSuccessAt ?? null,
          reconnect_attempts: pool.members.reduce((n, m) => n + m.connection.info().attempts, 0),
          comfy_version: pool.members.map((m) => m.connection.info().version).find((v) => v) ?? null,
          active_jobs: pool.activeCount(),
          gateway_queue: pool.dispatcher.waitingCount(),
          ...(several ? { backends: pool.members.map((m) => backendHealth(m, admin)) } : {}),
        },
      };
    },

    async queue(input: ComfyQueueRequest, ctx: CallContext): Promise<ComfyQueueResponse> {
      const pool = p();
      // Before the idempotency hash walks the body: a hostile depth must not reach any recursion.
      guardWorkflow(input.workflow, { allowlist: config.nodeAllowlist });
      checkPriority(input.priority, ctx.user);
      const missing = await pool.missingEverywhere(input.workflow);
      if (missing.length > 0) throw noServerCanRun(missing);
      const { value } = await idempotency.run(
        {
          key: ctx.idempotencyKey,
          userId: ctx.user.id,
          route: 'queue',
          body: input,
          response: comfyQueueResponseSchema,
        },
        () =>
          deps.accept({
            workflow: input.workflow,
            kind: 'workflow',
            params: null,
            clientId: input.client_id,
            user: ctx.user,
            idempotencyKey: ctx.idempotencyKey,
            priority: input.priority,
          }),
      );
      return value;
    },

    /** ComfyUI's history when its server still has it, else the pool's or the ledger's. */
    async history(promptId: string, caller: Caller): Promise<HistorySummary> {
      const pool = p();
      const row = await requireJob(ledger, promptId, caller);
      const live = await liveOf(promptId, row);
      if (live && !isFinalJobStatus(live.status)) return pendingHistory(live);
      const m = memberOf(row?.backend) ?? (row ? undefined : onlyMember());
      // A finished job stays answerable from the ledger while its server is away.
      const entry = m
        ? await m.connection.client.getHistory(promptId).catch((err: unknown) => {
            if (row && isFinalJobStatus(row.status)) return null;
            throw err;
          })
        : null;
      if (entry) return summarizeHistory(promptId, entry);
      if (row)
        return isFinalJobStatus(row.status)
          ? historyFromLedger(row)
          : pendingHistory(snapshotFromLedger(row));
      const found = live ?? (await pool.lookupForeign(promptId))?.snapshot;
      if (!found) throw unknownPrompt(promptId);
      return pendingHistory(found);
    },

    /** Waiting: out of the gateway queue; on a server: deleted from its queue, or interrupted. */
    async cancel(promptId: string, caller: Caller): Promise<{ prompt_id: string; cancelled: boolean }> {
      const pool = p();
      const snap = await status(promptId, caller);
      if (snap.status !== 'queued' && snap.status !== 'running')
        return { prompt_id: promptId, cancelled: false };
      const where = pool.dispatcher.cancel(promptId);
      if (where && 'removed' in where) return { prompt_id: promptId, cancelled: true };
      // On a server (or a foreign prompt some server's tracker follows).
      const member = where?.member ?? pool.holder(promptId);
      if (!member) return { prompt_id: promptId, cancelled: false };
      const c = member.connection;
      c.tracker.markCancelRequested(promptId);
      const queue = await c.client.getQueue();
      if (queue.pending.some((q) => q.prompt_id === promptId)) await c.client.deleteQueued([promptId]);
      else await c.client.interrupt(promptId);
      void c.tracker.reconcile().catch(() => undefined);
      return { prompt_id: promptId, cancelled: true };
    },

    /**
     * Running: on the servers. Pending, in one sequence of positions: what waits on the servers
     * (each in its server's order), then the gateway queue. The caller's own items in full;
     * others' as positions and server only (admins: all, with owners).
     */
    async queueState(caller: Caller): Promise<QueueState> {
      const pool = p();
      const order = pool.dispatcher.queue();
      const servers = await serverQueues(pool);
      const ids = [
        ...order.map((e) => e.promptId),
        ...servers.flatMap((s) => s.items.map((x) => x.promptId)),
      ];
      const owners = await ledger.ownersOf(ids);
      const showServer = named();
      const item = (
        promptId: string,
        position: number,
        extra: { number?: number; backend?: string; priority?: number; ours?: boolean },
      ): QueueItem => {
        const owner = owners.get(promptId);
        const mine = owner === caller.id;
        const ours = owner !== undefined || extra.ours === true;
        const backend = showServer && extra.backend !== undefined ? { backend: extra.backend } : {};
        const detail = {
          prompt_id: promptId,
          ...(extra.number !== undefined ? { number: extra.number } : {}),
          position,
          ours,
          mine,
        };
        const priority = extra.priority !== undefined ? { priority: extra.priority } : {};
        if (isAdmin(caller)) return { ...detail, owner_id: owner ?? null, ...backend, ...priority };
        if (mine) return { ...detail, ...backend, ...priority };
        return { position, ours, mine, ...backend };
      };
      const running = servers.flatMap((s) =>
        s.items.filter((x) => x.running).map((x) => item(x.promptId, 0, { ...x, backend: s.backend })),
      );
      const onServers = servers.flatMap((s) =>
        s.items.filter((x) => !x.running).map((x, i) => item(x.promptId, i, { ...x, backend: s.backend })),
      );
      const gatewayQueue = order.map((e, i) =>
        item(e.promptId, pool.dispatcher.record(e.promptId)?.queuePosition ?? i, {
          priority: e.priority,
          ours: true,
        }),
      );
      return { running, pending: [...onServers, ...gatewayQueue] };
    },

    async nodeInfo(nodeClass: string, o: { refresh?: boolean } = {}) {
      const info = await objectInfo(o);
      const node = info.value[nodeClass];
      if (!node) throw new GatewayError('NOT_FOUND', `ComfyUI has no node class ${nodeClass}`);
      return { ...info, value: { [nodeClass]: node } };
    },

    /**
     * The ref to read, with its server: as given (checked), else the one server whose jobs (the
     * caller's; admins: anyone's) made a file of that name; two or more: 400 asking for `backend`.
     * With one server every file is on it.
     */
    async authorizeView(given: ImageRef, caller: Caller): Promise<ImageRef> {
      const admin = isAdmin(caller);
      const only = onlyMember();
      if (only) {
        // One server: a `backend` parameter names nothing.
        const ref = { filename: given.filename, subfolder: given.subfolder, type: given.type };
        if (admin || (await ledger.ownsImage(caller.id, ref))) return { ...ref, backend: only.name };
        throw new GatewayError('NOT_FOUND', 'no such image');
      }
      if (given.backend !== undefined) {
        if (!memberOf(given.backend)) throw new GatewayError('NOT_FOUND', 'no such image');
        if (admin || (await ledger.ownsImage(caller.id, given))) return given;
        throw new GatewayError('NOT_FOUND', 'no such image');
      }
      const servers = await ledger.imageBackends(admin ? null : caller.id, given);
      if (servers.length === 1) return { ...given, backend: servers[0] as string };
      if (servers.length > 1)
        throw new GatewayError('VALIDATION_ERROR', 'backend: several servers have a file of that name', {
          fields: { backend: [`one of ${servers.join(', ')}`] },
        });
      throw new GatewayError('NOT_FOUND', 'no such image');
    },

    /** From the server that made the image (`backend`), through that server's view cache. */
    async view(ref: ImageRef, o: { signal?: AbortSignal } = {}): Promise<ViewSource> {
      const m = memberOf(ref.backend) ?? p().members[0];
      if (!m) throw new GatewayError('NOT_FOUND', 'no such image');
      const { backend: _b, ...plain } = ref;
      const cache = deps.viewCaches.get(m.name);
      const hit = await cache?.open(plain);
      if (hit) return hit;
      const res = await m.connection.client.view(plain, o.signal ? { signal: o.signal } : {});
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed under DOM types (apps/web type-checks this file)
      const upstream = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
      const stream = cache ? await cache.tee(plain, upstream) : upstream;
      const contentType =
        res.contentType && res.contentType.startsWith('image/') ? res.contentType : mimeFor(ref.filename);
      return { stream, contentType, contentLength: res.contentLength, cached: false };
    },
  };
}

export type ComfyOps = ReturnType<typeof createComfyOps>;
