import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ComfyConnection } from '@comfy-gateway/comfy-core';
import type {
  ComfyQueueRequest,
  ComfyQueueResponse,
  Health,
  HistorySummary,
  ImageRef,
  JobSnapshot,
  QueueState,
  User,
} from '@comfy-gateway/schema';
import { comfyQueueResponseSchema } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { ServerConfig } from '../env.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { pendingHistory, summarizeHistory } from './history-summary.ts';
import type { ViewCache, ViewSource } from './view-cache.ts';
import { mimeFor } from './view-cache.ts';

export interface CallContext {
  user: Pick<User, 'id'>;
  idempotencyKey?: string | undefined;
}

/** Queueing, status, history, cancel, queue, object_info and view over one ComfyUI connection. */
export function createComfyOps(deps: {
  config: ServerConfig;
  connection: ComfyConnection | null;
  idempotency: IdempotencyStore;
  viewCache: ViewCache | null;
}) {
  const { config, idempotency } = deps;

  /** The connection, or 503 COMFY_DISABLED when the integration is off. */
  const conn = (): ComfyConnection => {
    if (!deps.connection)
      throw new GatewayError('COMFY_DISABLED', 'the ComfyUI integration is disabled (COMFY_ENABLED=false)');
    return deps.connection;
  };

  const checkQueueCap = (c: ComfyConnection) => {
    const cap = config.queueMaxPending;
    if (cap !== null && c.tracker.activeCount() >= cap) {
      throw new GatewayError(
        'RATE_LIMITED',
        `the gateway already has ${cap} unfinished prompts (QUEUE_MAX_PENDING)`,
      );
    }
  };

  const status = async (promptId: string): Promise<JobSnapshot> => {
    const c = conn();
    const snap = c.tracker.get(promptId) ?? (await c.tracker.lookup(promptId));
    if (!snap) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
    return snap;
  };

  return {
    conn,
    status,

    health(): Health {
      const base = { status: 'ok' as const, enabled: config.app.comfy_enabled };
      const c = deps.connection;
      if (!config.app.comfy_enabled) return base;
      const info = c?.info();
      return {
        ...base,
        service: {
          base_url: config.app.comfy_api_url,
          timeout: config.app.comfy_timeout,
          client_wired: c !== null,
          connection_state: info?.state ?? 'disabled',
          last_success_at: info?.lastSuccessAt ?? null,
          last_error: info?.lastError ?? null,
          reconnect_attempts: info?.attempts ?? 0,
          comfy_version: info?.version ?? null,
          active_jobs: c?.tracker.activeCount() ?? 0,
        },
      };
    },

    async queue(input: ComfyQueueRequest, ctx: CallContext): Promise<ComfyQueueResponse> {
      const c = conn();
      const { value } = await idempotency.run(
        {
          key: ctx.idempotencyKey,
          userId: ctx.user.id,
          route: 'queue',
          body: input,
          response: comfyQueueResponseSchema,
        },
        async () => {
          checkQueueCap(c);
          const res = await c.queue(input.workflow, input.client_id ? { clientId: input.client_id } : {});
          return { prompt_id: res.prompt_id, client_id: res.client_id };
        },
      );
      return value;
    },

    async history(promptId: string): Promise<HistorySummary> {
      const c = conn();
      const entry = await c.client.getHistory(promptId);
      if (entry) return summarizeHistory(promptId, entry);
      const snap = c.tracker.get(promptId) ?? (await c.tracker.lookup(promptId));
      if (!snap) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      return pendingHistory(snap);
    },

    /** Pending: removed from the queue; running: interrupted; finished: nothing to do. */
    async cancel(promptId: string): Promise<{ prompt_id: string; cancelled: boolean }> {
      const c = conn();
      const snap = await status(promptId);
      if (snap.status !== 'queued' && snap.status !== 'running')
        return { prompt_id: promptId, cancelled: false };
      c.tracker.markCancelRequested(promptId);
      const queue = await c.client.getQueue();
      if (queue.pending.some((q) => q.prompt_id === promptId)) await c.client.deleteQueued([promptId]);
      else await c.client.interrupt(promptId);
      void c.tracker.reconcile().catch(() => undefined);
      return { prompt_id: promptId, cancelled: true };
    },

    async queueState(): Promise<QueueState> {
      const c = conn();
      const q = await c.client.getQueue();
      const item = (x: (typeof q.running)[number], position: number) => ({
        prompt_id: x.prompt_id,
        number: x.number,
        position,
        ours: x.extra_data['client_id'] === c.clientId || c.tracker.get(x.prompt_id) !== undefined,
      });
      return { running: q.running.map((x) => item(x, 0)), pending: q.pending.map((x, i) => item(x, i)) };
    },

    objectInfo: (o: { refresh?: boolean } = {}) => conn().getObjectInfo(o),

    async nodeInfo(nodeClass: string, o: { refresh?: boolean } = {}) {
      const info = await conn().getObjectInfo(o);
      const node = info.value[nodeClass];
      if (!node) throw new GatewayError('NOT_FOUND', `ComfyUI has no node class ${nodeClass}`);
      return { ...info, value: { [nodeClass]: node } };
    },

    /** Image bytes as a stream: from the disk cache, else from ComfyUI (copied into the cache). */
    async view(ref: ImageRef, o: { signal?: AbortSignal } = {}): Promise<ViewSource> {
      const c = conn();
      const hit = await deps.viewCache?.open(ref);
      if (hit) return hit;
      const res = await c.client.view(ref, o.signal ? { signal: o.signal } : {});
      const upstream = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
      const stream = deps.viewCache ? await deps.viewCache.tee(ref, upstream) : upstream;
      const contentType =
        res.contentType && res.contentType.startsWith('image/') ? res.contentType : mimeFor(ref.filename);
      return { stream, contentType, contentLength: res.contentLength, cached: false };
    },
  };
}

export type ComfyOps = ReturnType<typeof createComfyOps>;
