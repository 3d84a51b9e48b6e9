import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ComfyPool, PoolMember } from '@comfy-gateway/comfy-core';
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
} from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { ServerConfig } from '../env.ts';
import type { JobAcceptor } from '../jobs/accept-job.ts';
import { isAdmin, requireJob, unknownPrompt } from '../jobs/job-access.ts';
import type { Caller } from '../jobs/job-access.ts';
import type { JobLedger } from '../jobs/job-ledger.ts';
import { historyFromLedger, snapshotFromLedger } from '../jobs/job-record.ts';
import { guardWorkflow } from '../jobs/workflow-guard.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { pendingHistory, summarizeHistory } from './history-summary.ts';
import { checkPriority } from './priority.ts';
import type { CallContext, ComfyOps, UpstreamOf } from './service.ts';
import type { ViewCache, ViewSource } from './view-cache.ts';
import { mimeFor } from './view-cache.ts';

/** The same operations as `createComfyOps`, over a pool of ComfyUI servers and its gateway queue. */
export function createPoolOps(deps: {
  config: ServerConfig;
  pool: ComfyPool;
  idempotency: IdempotencyStore;
  viewCaches: Map<string, ViewCache>;
  ledger: JobLedger;
  accept: JobAcceptor;
}): ComfyOps {
  const { config, pool, idempotency, ledger } = deps;

  const status = async (promptId: string, caller: Caller): Promise<JobSnapshot> => {
    const row = await requireJob(ledger, promptId, caller);
    const live = pool.get(promptId);
    if (live) return live;
    if (row) return snapshotFromLedger(row);
    throw unknownPrompt(promptId);
  };

  /** The server a job ran on (its row says), for history, images and ingest. */
  const memberOf = (backend: string | null | undefined): PoolMember | undefined =>
    backend ? pool.members.find((m) => m.name === backend) : undefined;

  const objectInfo = async (
    o: { refresh?: boolean; backend?: string } = {},
  ): Promise<CacheResult<ComfyObjectInfo>> => {
    const value = await pool.objectInfo(o);
    return { value, hash: contentHash(value), fetchedAt: Date.now(), stale: false };
  };

  const backendHealth = (m: PoolMember, admin: boolean): BackendHealth => {
    const info = m.connection.info();
    return {
      name: m.name,
      state: info.state,
      in_flight: pool.dispatcher.inFlight(m),
      queue_remaining: m.connection.tracker.queuedCount(),
      version: info.version,
      draining: m.draining,
      max_in_flight: m.maxInFlight,
      ...(admin ? { url: m.baseUrl, last_error: info.lastError ?? null } : {}),
    };
  };

  const upstreamOf: UpstreamOf = (backend) => {
    const m = memberOf(backend) ?? pool.members[0];
    if (!m) throw new GatewayError('COMFY_UNAVAILABLE', 'no ComfyUI server configured');
    return {
      client: m.connection.client,
      version: m.connection.info().version,
      url: m.baseUrl,
      backend: m.name,
    };
  };

  return {
    /** 400 when no configured server has every node class and option the workflow uses. */
    async checkRunnable(workflow, fieldOf) {
      const missing = await pool.missingEverywhere(workflow, fieldOf);
      if (missing.length > 0) throw noServerCanRun(missing);
    },
    conn: () => {
      throw new GatewayError('INTERNAL', 'several ComfyUI servers: use the pool');
    },
    status,
    objectInfo,
    upstreamOf,

    async authorizePrompt(promptId: string, caller: Caller): Promise<void> {
      await status(promptId, caller);
    },

    /** Server URLs and last errors only for admins: they name internal hosts. */
    health(viewer: Pick<User, 'role'>): Health {
      const admin = viewer.role === 'admin';
      const backends = pool.members.map((m) => backendHealth(m, admin));
      const first = pool.members[0]?.connection.info();
      return {
        status: 'ok',
        enabled: true,
        service: {
          base_url: admin ? pool.members.map((m) => m.baseUrl).join(',') : '',
          timeout: config.app.comfy_timeout,
          client_wired: true,
          connection_state: pool.bestState(),
          last_success_at: first?.lastSuccessAt ?? null,
          last_error: admin ? (first?.lastError ?? null) : null,
          reconnect_attempts: pool.members.reduce((n, m) => n + m.connection.info().attempts, 0),
          comfy_version: backends.find((b) => b.version)?.version ?? null,
          active_jobs: pool.activeCount(),
          backends,
          gateway_queue: pool.dispatcher.waitingCount(),
        },
      };
    },

    async queue(input: ComfyQueueRequest, ctx: CallContext): Promise<ComfyQueueResponse> {
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

    async history(promptId: string, caller: Caller): Promise<HistorySummary> {
      const row = await requireJob(ledger, promptId, caller);
      const live = pool.get(promptId);
      if (live && !isFinalJobStatus(live.status)) return pendingHistory(live);
      const m = memberOf(row?.backend);
      const entry = m ? await m.connection.client.getHistory(promptId).catch(() => null) : null;
      if (entry) return summarizeHistory(promptId, entry);
      if (row)
        return isFinalJobStatus(row.status)
          ? historyFromLedger(row)
          : pendingHistory(snapshotFromLedger(row));
      throw unknownPrompt(promptId);
    },

    /** Waiting: out of the gateway queue; on a server: deleted from its queue, or interrupted. */
    async cancel(promptId: string, caller: Caller): Promise<{ prompt_id: string; cancelled: boolean }> {
      const snap = await status(promptId, caller);
      if (snap.status !== 'queued' && snap.status !== 'running')
        return { prompt_id: promptId, cancelled: false };
      const where = pool.dispatcher.cancel(promptId);
      if (!where) return { prompt_id: promptId, cancelled: false };
      if ('removed' in where) return { prompt_id: promptId, cancelled: true };
      const c = where.member.connection;
      c.tracker.markCancelRequested(promptId);
      const queue = await c.client.getQueue();
      if (queue.pending.some((q) => q.prompt_id === promptId)) await c.client.deleteQueued([promptId]);
      else await c.client.interrupt(promptId);
      void c.tracker.reconcile().catch(() => undefined);
      return { prompt_id: promptId, cancelled: true };
    },

    /** Running: on the servers; pending: the gateway queue in its order, then what waits on servers. */
    async queueState(caller: Caller): Promise<QueueState> {
      const order = pool.dispatcher.queue();
      const onServers = pool.members.flatMap((m) =>
        m.connection.tracker.activeSnapshots().map((s) => ({ snap: s, backend: m.name })),
      );
      const ids = [...order.map((e) => e.promptId), ...onServers.map((x) => x.snap.prompt_id)];
      const owners = await ledger.ownersOf(ids);
      const item = (promptId: string, position: number, extra: Partial<QueueItem>): QueueItem => {
        const owner = owners.get(promptId);
        const mine = owner === caller.id;
        if (isAdmin(caller))
          return { prompt_id: promptId, position, ours: true, mine, owner_id: owner ?? null, ...extra };
        if (mine) return { prompt_id: promptId, position, ours: true, mine, ...extra };
        return { position, ours: owner !== undefined, mine };
      };
      const running = onServers
        .filter((x) => x.snap.status === 'running')
        .map((x) => item(x.snap.prompt_id, 0, { backend: x.backend }));
      const waitingOnServers = onServers
        .filter((x) => x.snap.status === 'queued')
        .map((x, i) => item(x.snap.prompt_id, i, { backend: x.backend }));
      const gatewayQueue = order.map((e, i) => item(e.promptId, i, { priority: e.priority }));
      return { running, pending: [...gatewayQueue, ...waitingOnServers] };
    },

    async nodeInfo(nodeClass: string, o: { refresh?: boolean } = {}) {
      const info = await objectInfo(o);
      const node = info.value[nodeClass];
      if (!node) throw new GatewayError('NOT_FOUND', `no ComfyUI server has node class ${nodeClass}`);
      return { ...info, value: { [nodeClass]: node } };
    },

    /**
     * The ref to read, with its server: as given (checked), else the one server whose jobs (the
     * caller's; admins: anyone's) made a file of that name; two or more: 400 asking for `backend`.
     */
    async authorizeView(ref: ImageRef, caller: Caller): Promise<ImageRef> {
      const admin = isAdmin(caller);
      if (ref.backend !== undefined) {
        if (!memberOf(ref.backend)) throw new GatewayError('NOT_FOUND', 'no such image');
        if (admin || (await ledger.ownsImage(caller.id, ref))) return ref;
        throw new GatewayError('NOT_FOUND', 'no such image');
      }
      const servers = await ledger.imageBackends(admin ? null : caller.id, ref);
      if (servers.length === 1) return { ...ref, backend: servers[0] as string };
      if (servers.length > 1)
        throw new GatewayError('VALIDATION_ERROR', 'backend: several servers have a file of that name', {
          fields: { backend: [`one of ${servers.join(', ')}`] },
        });
      throw new GatewayError('NOT_FOUND', 'no such image');
    },

    /** From the server that made the image (`backend`), through that server's view cache. */
    async view(ref: ImageRef, o: { signal?: AbortSignal } = {}): Promise<ViewSource> {
      const m = memberOf(ref.backend) ?? pool.members[0];
      if (!m) throw new GatewayError('NOT_FOUND', 'no such image');
      const cache = deps.viewCaches.get(m.name);
      const hit = await cache?.open(ref);
      if (hit) return hit;
      const res = await m.connection.client.view(ref, o.signal ? { signal: o.signal } : {});
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed under DOM types (apps/web type-checks this file)
      const upstream = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
      const stream = cache ? await cache.tee(ref, upstream) : upstream;
      const contentType =
        res.contentType && res.contentType.startsWith('image/') ? res.contentType : mimeFor(ref.filename);
      return { stream, contentType, contentLength: res.contentLength, cached: false };
    },
  };
}

/** A 400 naming, per server, what it lacks (text2img maps the issues to its fields). */
export function noServerCanRun(
  missing: Array<{
    backend: string;
    issues: Array<{ field: string; message: string; suggestions: string[] }>;
  }>,
): GatewayError {
  const fields: Record<string, string[]> = {};
  const suggestions: Record<string, string[]> = {};
  for (const { backend, issues } of missing) {
    for (const issue of issues) {
      (fields[issue.field] ??= []).push(`${backend}: ${issue.message}`);
      const merged = new Set([...(suggestions[issue.field] ?? []), ...issue.suggestions]);
      if (merged.size > 0) suggestions[issue.field] = [...merged];
    }
  }
  const first = Object.entries(fields)[0];
  const message = first
    ? `no ComfyUI server can run this job: ${first[0]}: ${first[1].join('; ')}`
    : 'no ComfyUI server can run this job';
  return new GatewayError('VALIDATION_ERROR', message, {
    fields,
    suggestions,
    backends: missing.map((m) => ({ backend: m.backend, issues: m.issues })),
  });
}
