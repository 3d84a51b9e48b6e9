import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ComfyConnection } from '@comfy-gateway/comfy-core';
import type { CacheResult } from '@comfy-gateway/comfy-core/cache';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type {
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
import { comfyQueueResponseSchema } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { ServerConfig } from '../env.ts';
import type { JobAcceptor } from '../jobs/accept-job.ts';
import { isAdmin, requireJob, unknownPrompt } from '../jobs/job-access.ts';
import type { Caller } from '../jobs/job-access.ts';
import type { JobLedger } from '../jobs/job-ledger.ts';
import { historyFromLedger, snapshotFromLedger } from '../jobs/job-record.ts';
import { guardWorkflow } from '../jobs/workflow-guard.ts';
import { checkPriority } from './priority.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { pendingHistory, summarizeHistory } from './history-summary.ts';
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

/** Queueing, status, history, cancel, queue, object_info and view over one ComfyUI connection. */
export function createComfyOps(deps: {
  config: ServerConfig;
  connection: ComfyConnection | null;
  idempotency: IdempotencyStore;
  viewCache: ViewCache | null;
  ledger: JobLedger;
  accept: JobAcceptor;
  now?: () => number;
}) {
  const { config, idempotency, ledger } = deps;
  const now = deps.now ?? Date.now;
  let lastRefresh: { at: number; result: Promise<CacheResult<ComfyObjectInfo>> } | null = null;

  /** The connection, or 503 COMFY_DISABLED when the integration is off. */
  const conn = (): ComfyConnection => {
    if (!deps.connection)
      throw new GatewayError('COMFY_DISABLED', 'the ComfyUI integration is disabled (COMFY_ENABLED=false)');
    return deps.connection;
  };

  /** Live state from the tracker, else the ledger, else (admins only) ComfyUI's own lists. */
  const status = async (promptId: string, caller: Caller): Promise<JobSnapshot> => {
    const c = conn();
    const row = await requireJob(ledger, promptId, caller);
    const live = c.tracker.get(promptId);
    if (live) return live;
    if (row) return snapshotFromLedger(row);
    const found = await c.tracker.lookup(promptId);
    if (!found) throw unknownPrompt(promptId);
    return found;
  };

  /** object_info; a forced refresh reaches ComfyUI once per window, later callers share it. */
  const objectInfo = (
    o: { refresh?: boolean; backend?: string } = {},
  ): Promise<CacheResult<ComfyObjectInfo>> => {
    const c = conn();
    if (o.backend !== undefined)
      throw new GatewayError('NOT_FOUND', `no ComfyUI server named ${o.backend} (one server only)`);
    if (!o.refresh) return c.getObjectInfo();
    if (lastRefresh && now() - lastRefresh.at < OBJECT_INFO_REFRESH_MS)
      return lastRefresh.result.catch(() => c.getObjectInfo());
    const result = c.getObjectInfo({ refresh: true });
    lastRefresh = { at: now(), result };
    return result;
  };

  const upstreamOf: UpstreamOf = () => {
    const c = conn();
    return { client: c.client, version: c.info().version, url: config.app.comfy_api_url };
  };

  return {
    conn,
    status,
    objectInfo,
    upstreamOf,
    /** One server: the object_info check before accepting says it all. */
    checkRunnable: (_workflow: Workflow, _fieldOf?: FieldOf): Promise<void> => Promise.resolve(),

    /** 404 unless the caller owns the prompt (admins: any); the gate before a stream opens. */
    async authorizePrompt(promptId: string, caller: Caller): Promise<void> {
      await status(promptId, caller);
    },

    /** The upstream URL and last error only for admins: they name internal hosts. */
    health(viewer: Pick<User, 'role'>): Health {
      const base = { status: 'ok' as const, enabled: config.app.comfy_enabled };
      const c = deps.connection;
      if (!config.app.comfy_enabled) return base;
      const info = c?.info();
      const upstream =
        viewer.role === 'admin'
          ? { base_url: config.app.comfy_api_url, last_error: info?.lastError ?? null }
          : {};
      return {
        ...base,
        service: {
          ...upstream,
          timeout: config.app.comfy_timeout,
          client_wired: c !== null,
          connection_state: info?.state ?? 'disabled',
          last_success_at: info?.lastSuccessAt ?? null,
          reconnect_attempts: info?.attempts ?? 0,
          comfy_version: info?.version ?? null,
          active_jobs: c?.tracker.activeCount() ?? 0,
        },
      };
    },

    async queue(input: ComfyQueueRequest, ctx: CallContext): Promise<ComfyQueueResponse> {
      conn();
      // Before the idempotency hash walks the body: a hostile depth must not reach any recursion.
      guardWorkflow(input.workflow, { allowlist: config.nodeAllowlist });
      checkPriority(input.priority, ctx.user);
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

    /** ComfyUI's history when it still has it, else the tracker's or the ledger's. */
    async history(promptId: string, caller: Caller): Promise<HistorySummary> {
      const c = conn();
      const row = await requireJob(ledger, promptId, caller);
      // A finished job stays answerable from the ledger while ComfyUI is away.
      const entry = await c.client.getHistory(promptId).catch((err: unknown) => {
        if (row && isFinalJobStatus(row.status)) return null;
        throw err;
      });
      if (entry) return summarizeHistory(promptId, entry);
      const live = c.tracker.get(promptId);
      if (live && !isFinalJobStatus(live.status)) return pendingHistory(live);
      if (row)
        return isFinalJobStatus(row.status)
          ? historyFromLedger(row)
          : pendingHistory(snapshotFromLedger(row));
      const found = live ?? (await c.tracker.lookup(promptId));
      if (!found) throw unknownPrompt(promptId);
      return pendingHistory(found);
    },

    /** Pending: removed from the queue; running: interrupted; finished: nothing to do. */
    async cancel(promptId: string, caller: Caller): Promise<{ prompt_id: string; cancelled: boolean }> {
      const c = conn();
      const snap = await status(promptId, caller);
      if (snap.status !== 'queued' && snap.status !== 'running')
        return { prompt_id: promptId, cancelled: false };
      c.tracker.markCancelRequested(promptId);
      const queue = await c.client.getQueue();
      if (queue.pending.some((q) => q.prompt_id === promptId)) await c.client.deleteQueued([promptId]);
      else await c.client.interrupt(promptId);
      void c.tracker.reconcile().catch(() => undefined);
      return { prompt_id: promptId, cancelled: true };
    },

    /** The caller's own items in full; other users' as positions only (admins: all, with owners). */
    async queueState(caller: Caller): Promise<QueueState> {
      const c = conn();
      const q = await c.client.getQueue();
      const owners = await ledger.ownersOf([...q.running, ...q.pending].map((x) => x.prompt_id));
      const item = (x: (typeof q.running)[number], position: number): QueueItem => {
        const owner = owners.get(x.prompt_id);
        const mine = owner === caller.id;
        const ours =
          owner !== undefined ||
          x.extra_data['client_id'] === c.clientId ||
          c.tracker.get(x.prompt_id) !== undefined;
        if (isAdmin(caller))
          return { prompt_id: x.prompt_id, number: x.number, position, ours, mine, owner_id: owner ?? null };
        if (mine) return { prompt_id: x.prompt_id, number: x.number, position, ours, mine };
        return { position, ours, mine };
      };
      return { running: q.running.map((x) => item(x, 0)), pending: q.pending.map((x, i) => item(x, i)) };
    },

    async nodeInfo(nodeClass: string, o: { refresh?: boolean } = {}) {
      const info = await objectInfo(o);
      const node = info.value[nodeClass];
      if (!node) throw new GatewayError('NOT_FOUND', `ComfyUI has no node class ${nodeClass}`);
      return { ...info, value: { [nodeClass]: node } };
    },

    /** 404 unless the file is among the images of a job the caller owns (admins: any file). */
    /** Returns the ref to read (with several servers it names the one that made the file). */
    async authorizeView(given: ImageRef, caller: Caller): Promise<ImageRef> {
      // One server: a `backend` parameter names nothing.
      const ref = { filename: given.filename, subfolder: given.subfolder, type: given.type };
      if (isAdmin(caller) || (await ledger.ownsImage(caller.id, ref))) return ref;
      throw new GatewayError('NOT_FOUND', 'no such image');
    },

    /** Image bytes as a stream: from the disk cache, else from ComfyUI (copied into the cache). */
    async view(ref: ImageRef, o: { signal?: AbortSignal } = {}): Promise<ViewSource> {
      const c = conn();
      const hit = await deps.viewCache?.open(ref);
      if (hit) return hit;
      const res = await c.client.view(ref, o.signal ? { signal: o.signal } : {});
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed under DOM types (apps/web type-checks this file)
      const upstream = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
      const stream = deps.viewCache ? await deps.viewCache.tee(ref, upstream) : upstream;
      const contentType =
        res.contentType && res.contentType.startsWith('image/') ? res.contentType : mimeFor(ref.filename);
      return { stream, contentType, contentLength: res.contentLength, cached: false };
    },
  };
}

export type ComfyOps = ReturnType<typeof createComfyOps>;
