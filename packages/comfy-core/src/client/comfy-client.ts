import type { ComfyObjectInfo, ImageRef, NodeInfo } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type {
  CallOptions,
  ComfyHistoryEntry,
  ComfyQueue,
  QueuePromptInput,
  QueuePromptResult,
  ViewResult,
} from '../types.ts';
import { parseQueue, toQueueItem } from './parse-queue.ts';
import { comfyFetch, discard, readJson } from './request.ts';
import type { FetchLike, RequestContext } from './request.ts';

export interface ComfyClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: FetchLike;
  headers?: Record<string, string>;
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
  };
  const getJson = async <T>(path: string, o?: CallOptions) => readJson<T>(await comfyFetch(ctx, path, o ?? {}), path);
  const postJson = (path: string, body: unknown, o?: CallOptions) =>
    comfyFetch(ctx, path, { ...o, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const postEmpty = async (path: string, body: unknown, o?: CallOptions) => {
    const res = await postJson(path, body, o);
    await discard(res);
    if (!res.ok) throw new GatewayError('UPSTREAM_ERROR', `ComfyUI answered ${res.status} to ${path}`, { status: res.status });
  };

  return {
    baseUrl: ctx.baseUrl,

    /** POST /prompt; a 400 becomes COMFY_VALIDATION carrying ComfyUI's `error` and `node_errors`. */
    async queuePrompt(input: QueuePromptInput, o?: CallOptions): Promise<QueuePromptResult> {
      const res = await postJson('/prompt', input, o);
      if (res.status === 400) {
        const body = (await res.json().catch(() => ({}))) as { error?: { message?: string }; node_errors?: unknown };
        const message = body.error?.message ?? 'ComfyUI rejected the workflow';
        throw new GatewayError('COMFY_VALIDATION', message, { error: body.error, node_errors: body.node_errors ?? {} });
      }
      return readJson<QueuePromptResult>(res, '/prompt');
    },

    async getQueue(o?: CallOptions): Promise<ComfyQueue> {
      return parseQueue(await getJson<{ queue_running?: unknown[]; queue_pending?: unknown[] }>('/queue', o));
    },

    /** Removes pending prompts (a running one is untouched: use `interrupt`). */
    deleteQueued: (ids: string[], o?: CallOptions) => postEmpty('/queue', { delete: ids }, o),

    /** Interrupts `promptId` only if it is the one running; without an id, whatever runs. */
    interrupt: (promptId?: string, o?: CallOptions) => postEmpty('/interrupt', promptId ? { prompt_id: promptId } : {}, o),

    /** The finished entry, or null while unknown, queued or running (ComfyUI answers `{}`). */
    async getHistory(promptId: string, o?: CallOptions): Promise<ComfyHistoryEntry | null> {
      const body = await getJson<Record<string, RawHistory>>(`/history/${encodeURIComponent(promptId)}`, o);
      const raw = body[promptId];
      return raw ? toHistoryEntry(raw) : null;
    },

    /** A bounded page of history, newest `maxItems` (or from `offset`), oldest first. */
    async getHistoryPage(page: { maxItems: number; offset?: number }, o?: CallOptions) {
      const maxItems = Math.max(1, Math.min(MAX_HISTORY_PAGE, Math.floor(page.maxItems)));
      const q = `max_items=${maxItems}${page.offset === undefined ? '' : `&offset=${Math.floor(page.offset)}`}`;
      const body = await getJson<Record<string, RawHistory>>(`/history?${q}`, o);
      return Object.entries(body).map(([id, raw]) => ({ prompt_id: id, entry: toHistoryEntry(raw) }));
    },

    /** GET /view as a stream (never buffered); 404 becomes NOT_FOUND. */
    async view(ref: ImageRef, o?: CallOptions): Promise<ViewResult> {
      const q = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      const res = await comfyFetch(ctx, `/view?${q}`, o ?? {});
      if (res.status === 404) {
        await discard(res);
        throw new GatewayError('NOT_FOUND', `image ${ref.filename} not found on ComfyUI`);
      }
      if (!res.ok || !res.body) {
        await discard(res);
        throw new GatewayError('UPSTREAM_ERROR', `ComfyUI answered ${res.status} to /view`, { status: res.status });
      }
      const length = res.headers.get('content-length');
      return { body: res.body, contentType: res.headers.get('content-type'), contentLength: length ? Number(length) : null };
    },

    getObjectInfo: (o?: CallOptions) => getJson<ComfyObjectInfo>('/object_info', o),

    /** One class's NodeInfo, or null when ComfyUI does not know it. */
    async getNodeInfo(classType: string, o?: CallOptions): Promise<NodeInfo | null> {
      const body = await getJson<Record<string, NodeInfo>>(`/object_info/${encodeURIComponent(classType)}`, o);
      return body[classType] ?? null;
    },

    getSystemStats: (o?: CallOptions) =>
      getJson<{ system?: { comfyui_version?: string } & Record<string, unknown>; devices?: unknown[] }>('/system_stats', o),

    getFeatures: (o?: CallOptions) => getJson<Record<string, unknown>>('/features', o),

    async uploadImage(
      input: { data: Blob | Uint8Array; filename: string; subfolder?: string; type?: 'input' | 'temp' | 'output'; overwrite?: boolean },
      o?: CallOptions,
    ): Promise<{ name: string; subfolder: string; type: string }> {
      const form = new FormData();
      const blob = input.data instanceof Blob ? input.data : new Blob([input.data]);
      form.append('image', blob, input.filename);
      if (input.subfolder) form.append('subfolder', input.subfolder);
      if (input.type) form.append('type', input.type);
      if (input.overwrite) form.append('overwrite', 'true');
      const res = await comfyFetch(ctx, '/upload/image', { ...o, method: 'POST', body: form });
      return readJson(res, '/upload/image');
    },
  };
}

type RawHistory = Omit<ComfyHistoryEntry, 'prompt'> & { prompt: unknown[] };

function toHistoryEntry(raw: RawHistory): ComfyHistoryEntry {
  return {
    prompt: toQueueItem(raw.prompt),
    outputs: raw.outputs ?? {},
    status: raw.status ?? { status_str: 'error', completed: false, messages: [] },
    meta: raw.meta ?? {},
  };
}
