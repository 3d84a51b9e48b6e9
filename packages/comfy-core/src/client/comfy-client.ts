import type * as z from 'zod';
import type { ComfyObjectInfo, ImageRef, NodeInfo } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type {
  CallOptions,
  ComfyHistoryEntry,
  ComfyQueue,
  QueuePromptInput,
  QueuePromptResult,
  Timers,
  ViewResult,
} from '../types.ts';
import { parseQueue } from './parse-queue.ts';
import { comfyFetch, discard, readJson } from './request.ts';
import type { FetchLike, RequestContext } from './request.ts';
import {
  featuresSchema,
  historyBodySchema,
  objectInfoBodySchema,
  promptErrorSchema,
  promptResponseSchema,
  queueBodySchema,
  systemStatsSchema,
  uploadResultSchema,
} from './upstream-schemas.ts';
import type { RawHistoryEntry, SystemStats } from './upstream-schemas.ts';

export interface ComfyClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: FetchLike;
  headers?: Record<string, string>;
  /** Timers for the per-call timeout (tests pass fakes). */
  timers?: Timers;
}

/** The most history entries one page may ask for; the unbounded `/history` is never fetched. */
export const MAX_HISTORY_PAGE = 200;

export type ComfyClient = ReturnType<typeof createComfyClient>;

/** Typed client for the ComfyUI HTTP routes the gateway needs. */
export function createComfyClient(opts: ComfyClientOptions) {
  const ctx: RequestContext = {
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    timeoutMs: opts.timeoutMs,
    fetch: opts.fetch ?? globalThis.fetch,
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.timers ? { timers: opts.timers } : {}),
  };
  const getJson = async <S extends z.ZodType>(path: string, schema: S, o?: CallOptions) =>
    readJson(await comfyFetch(ctx, path, o ?? {}), path, schema);
  const postJson = (path: string, body: unknown, o?: CallOptions) =>
    comfyFetch(ctx, path, {
      ...o,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const postEmpty = async (path: string, body: unknown, o?: CallOptions) => {
    const res = await postJson(path, body, o);
    await discard(res);
    if (!res.ok)
      throw new GatewayError('UPSTREAM_ERROR', `ComfyUI answered ${res.status} to ${path}`, {
        status: res.status,
      });
  };

  return {
    baseUrl: ctx.baseUrl,

    /** POST /prompt; a 400 becomes COMFY_VALIDATION carrying ComfyUI's `error` and `node_errors`. */
    async queuePrompt(input: QueuePromptInput, o?: CallOptions): Promise<QueuePromptResult> {
      const res = await postJson('/prompt', input, o);
      if (res.status === 400) {
        const raw: unknown = await res.json().catch(() => ({}));
        const parsed = promptErrorSchema.safeParse(raw);
        const body = parsed.success ? parsed.data : { error: undefined, node_errors: {} };
        const message =
          typeof body.error === 'string'
            ? body.error
            : (body.error?.message ?? 'ComfyUI rejected the workflow');
        throw new GatewayError('COMFY_VALIDATION', message, {
          error: body.error ?? null,
          node_errors: body.node_errors,
        });
      }
      const ok = await readJson(res, '/prompt', promptResponseSchema);
      return { prompt_id: ok.prompt_id, number: ok.number, node_errors: ok.node_errors };
    },

    async getQueue(o?: CallOptions): Promise<ComfyQueue> {
      return parseQueue(await getJson('/queue', queueBodySchema, o));
    },

    /** Removes pending prompts (a running one is untouched: use `interrupt`). */
    deleteQueued: (ids: string[], o?: CallOptions) => postEmpty('/queue', { delete: ids }, o),

    /** Interrupts `promptId` only if it is the one running; without an id, whatever runs. */
    interrupt: (promptId?: string, o?: CallOptions) =>
      postEmpty('/interrupt', promptId ? { prompt_id: promptId } : {}, o),

    /** The finished entry, or null while unknown, queued or running (ComfyUI answers `{}`). */
    async getHistory(promptId: string, o?: CallOptions): Promise<ComfyHistoryEntry | null> {
      // `.` and `..` would resolve to another path (`/history/`, `/`), not to a prompt.
      if (promptId === '.' || promptId === '..') return null;
      const body = await getJson(`/history/${encodeURIComponent(promptId)}`, historyBodySchema, o);
      const raw = body[promptId];
      return raw ? toHistoryEntry(raw) : null;
    },

    /** A bounded page of history, newest `maxItems` (or from `offset`), oldest first. */
    async getHistoryPage(page: { maxItems: number; offset?: number }, o?: CallOptions) {
      const maxItems = Math.max(1, Math.min(MAX_HISTORY_PAGE, Math.floor(page.maxItems)));
      const q = `max_items=${maxItems}${page.offset === undefined ? '' : `&offset=${Math.floor(page.offset)}`}`;
      const body = await getJson(`/history?${q}`, historyBodySchema, o);
      return Object.entries(body).map(([id, raw]) => ({ prompt_id: id, entry: toHistoryEntry(raw) }));
    },

    /** GET /view as a stream (never buffered); 404 becomes NOT_FOUND. */
    async view(ref: ImageRef, o?: CallOptions): Promise<ViewResult> {
      const q = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      const res = await comfyFetch(ctx, `/view?${q.toString()}`, o ?? {});
      if (res.status === 404) {
        await discard(res);
        throw new GatewayError('NOT_FOUND', `image ${ref.filename} not found on ComfyUI`);
      }
      if (!res.ok || !res.body) {
        await discard(res);
        throw new GatewayError('UPSTREAM_ERROR', `ComfyUI answered ${res.status} to /view`, {
          status: res.status,
        });
      }
      const length = res.headers.get('content-length');
      return {
        body: res.body,
        contentType: res.headers.get('content-type'),
        contentLength: length ? Number(length) : null,
        status: res.status,
      };
    },

    /** Every node class; classes that do not parse as NodeInfo are left out rather than failing all. */
    getObjectInfo: (o?: CallOptions): Promise<ComfyObjectInfo> =>
      getJson('/object_info', objectInfoBodySchema, o),

    /** One class's NodeInfo, or null when ComfyUI does not know it. */
    async getNodeInfo(classType: string, o?: CallOptions): Promise<NodeInfo | null> {
      const body = await getJson(`/object_info/${encodeURIComponent(classType)}`, objectInfoBodySchema, o);
      return body[classType] ?? null;
    },

    getSystemStats: (o?: CallOptions): Promise<SystemStats> => getJson('/system_stats', systemStatsSchema, o),

    /** Server feature flags (`supports_preview_metadata`, `max_upload_size`). */
    getFeatures: (o?: CallOptions): Promise<Record<string, unknown>> =>
      getJson('/features', featuresSchema, o),

    async uploadImage(
      input: {
        data: Blob | Uint8Array;
        filename: string;
        subfolder?: string;
        type?: 'input' | 'temp' | 'output';
        overwrite?: boolean;
      },
      o?: CallOptions,
    ): Promise<{ name: string; subfolder: string; type: string }> {
      const form = new FormData();
      const blob = input.data instanceof Blob ? input.data : new Blob([Uint8Array.from(input.data)]);
      form.append('image', blob, input.filename);
      if (input.subfolder) form.append('subfolder', input.subfolder);
      if (input.type) form.append('type', input.type);
      if (input.overwrite) form.append('overwrite', 'true');
      const res = await comfyFetch(ctx, '/upload/image', { ...o, method: 'POST', body: form });
      const up = await readJson(res, '/upload/image', uploadResultSchema);
      return { name: up.name, subfolder: up.subfolder, type: up.type };
    },
  };
}

function toHistoryEntry(raw: RawHistoryEntry): ComfyHistoryEntry {
  return {
    prompt: raw.prompt,
    outputs: raw.outputs,
    // An entry without status is unusual; treat it as a failed run rather than guess success.
    status: raw.status ?? { status_str: 'error', completed: false, messages: [] },
    meta: raw.meta,
  };
}
