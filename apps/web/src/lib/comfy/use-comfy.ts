import type {
  ComfyObjectInfo,
  ComfyQueueResponse,
  ComfyText2ImgResponse,
  HistorySummary,
  ImageRef,
  IngestFromComfyInput,
  IngestResult,
  JobSnapshot,
  NodeInfo,
  QueueState,
  StreamEvent,
  Text2ImgInput,
  Workflow,
} from '@comfy-gateway/schema';
import { ApiError, errorMessage } from '../api/errors.ts';
import { query, request, requestJson } from '../api/http.ts';
import { notifications } from '../notifications.svelte.ts';
import type { Notifier } from '../notifications.svelte.ts';
import { DEFAULT_RETRY_POLICY, backoffDelay, withRetry } from './retry.ts';
import type { RetryPolicy } from './retry.ts';
import { STREAM_EVENT_TYPES, isFinal, toStreamEvent, unknownSnapshot } from './stream-events.ts';

/** The subset of EventSource the stream needs (so tests can pass a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (ev: Event) => void): void;
  close(): void;
}
export type EventSourceFactory = new (url: string, init?: EventSourceInit) => EventSourceLike;

export interface ComfyDeps {
  fetch: typeof fetch;
  EventSource: EventSourceFactory;
  notifier: Notifier;
  retryPolicy: RetryPolicy;
  /** How many times a dead stream is reopened before giving up. */
  streamReopens: number;
}

export type StreamEventHandler = (event: StreamEvent) => void;
export type CompleteHandler = (final: JobSnapshot) => void;
export type Unsubscribe = () => void;
export interface SubscribeOptions {
  /** Ask for live preview frames (`?previews=1`). */
  previews?: boolean;
  /** Toast on completion and failure (default true). */
  notify?: boolean;
}

export type IngestUploadInput = {
  file: Blob;
  filename?: string;
  prompt_id?: string;
  workflow?: Workflow | Record<string, unknown>;
  metadata?: Record<string, unknown>;
};
export type IngestInput = IngestUploadInput | IngestFromComfyInput;

const STREAM_OPEN = 1;
const STREAM_CLOSED = 2;

function newIdempotencyKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** The seed's composable: authenticated calls to `/api/comfy`, retries with backoff, notifications. */
export function useComfy(overrides: Partial<ComfyDeps> = {}) {
  const deps: ComfyDeps = {
    fetch: (...args) => globalThis.fetch(...args),
    EventSource: globalThis.EventSource as unknown as EventSourceFactory,
    notifier: notifications,
    retryPolicy: DEFAULT_RETRY_POLICY,
    streamReopens: 5,
    ...overrides,
  };
  const { notifier } = deps;

  /** Retries transient failures and keeps the user informed with one replacing toast per action. */
  async function retrying<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const key = `retry:${label}:${newIdempotencyKey()}`;
    let retried = 0;
    try {
      const out = await withRetry(fn, {
        policy: deps.retryPolicy,
        onRetry: ({ attempt, delayMs, error }) => {
          retried = attempt;
          const why =
            error instanceof ApiError && error.status
              ? `${error.status} ${error.message}`
              : errorMessage(error);
          notifier.notify(
            'warning',
            `${label} failed (${why}); retry ${attempt} of ${deps.retryPolicy.retries} in ${(delayMs / 1000).toFixed(1)} s`,
            { key, timeoutMs: 0 },
          );
        },
      });
      if (retried > 0)
        notifier.notify(
          'info',
          `${label} succeeded after ${retried} ${retried === 1 ? 'retry' : 'retries'}`,
          { key },
        );
      return out;
    } catch (err) {
      notifier.dismiss(key);
      if (retried > 0)
        notifier.notify('error', `${label} failed after ${retried + 1} attempts: ${errorMessage(err)}`);
      throw err;
    }
  }

  const json = <T>(path: string, init: Parameters<typeof requestJson>[1] = {}) =>
    requestJson<T>(path, { fetch: deps.fetch, ...init });

  /** Queues an API-format workflow (same Idempotency-Key across retries, so nothing is queued twice). */
  function queueWorkflow(workflow: Workflow, clientId?: string): Promise<ComfyQueueResponse> {
    const headers = { 'idempotency-key': newIdempotencyKey() };
    const body = clientId ? { workflow, client_id: clientId } : { workflow };
    return retrying('Queueing the workflow', () =>
      json('/api/comfy/queue', { method: 'POST', body, headers }),
    );
  }

  /** Builds and queues a text-to-image run; validation errors (400) are thrown at once. */
  function textToImage(params: Text2ImgInput): Promise<ComfyText2ImgResponse> {
    const headers = { 'idempotency-key': newIdempotencyKey() };
    return retrying('Starting the generation', () =>
      json('/api/comfy/text2img', { method: 'POST', body: params, headers }),
    );
  }

  function subscribeToStatus(
    promptId: string,
    onEvent: StreamEventHandler,
    onComplete: CompleteHandler,
    opts?: SubscribeOptions,
  ): Unsubscribe;
  function subscribeToStatus(
    promptId: string,
    onComplete: CompleteHandler,
    opts?: SubscribeOptions,
  ): Unsubscribe;
  /** Follows one prompt over SSE until its final event; returns the function that stops following. */
  function subscribeToStatus(
    promptId: string,
    a: StreamEventHandler | CompleteHandler,
    b?: CompleteHandler | SubscribeOptions,
    c?: SubscribeOptions,
  ): Unsubscribe {
    const onEvent: StreamEventHandler | null = typeof b === 'function' ? (a as StreamEventHandler) : null;
    const onComplete: CompleteHandler = typeof b === 'function' ? b : (a as CompleteHandler);
    const opts: SubscribeOptions = (typeof b === 'function' ? c : b) ?? {};
    const url = `/api/comfy/stream/${encodeURIComponent(promptId)}${opts.previews ? '?previews=1' : ''}`;
    const warnKey = `stream:${promptId}`;
    let source: EventSourceLike | null = null;
    let finished = false;
    let reopens = 0;
    let last: JobSnapshot | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const finish = (final: JobSnapshot) => {
      if (finished) return;
      finished = true;
      source?.close();
      notifier.dismiss(warnKey);
      if (opts.notify !== false) notifyFinal(final);
      onComplete(final);
    };

    const notifyFinal = (s: JobSnapshot) => {
      const short = promptId.slice(0, 8);
      if (s.status === 'completed') notifier.notify('success', `Job ${short} completed`);
      else if (s.status === 'failed')
        notifier.notify('error', `Job ${short} failed: ${s.error?.message ?? 'unknown error'}`);
      else if (s.status === 'cancelled' || s.status === 'interrupted')
        notifier.notify('info', `Job ${short} ${s.status}`);
      else notifier.notify('warning', `Lost track of job ${short}: ${s.error?.message ?? 'no final state'}`);
    };

    // The stream died for good (EventSource gave up): ask /status for the truth, then reopen.
    const recover = async () => {
      try {
        const snap = await json<JobSnapshot>(`/api/comfy/status/${encodeURIComponent(promptId)}`);
        if (finished) return;
        if (isFinal(snap)) return finish(snap);
        last = snap;
        onEvent?.({ type: 'status', snapshot: snap });
      } catch (err) {
        if (finished) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
          return finish(unknownSnapshot(promptId, errorMessage(err)));
        }
      }
      if (reopens >= deps.streamReopens) {
        return finish(
          last && isFinal(last)
            ? last
            : unknownSnapshot(promptId, 'the progress stream could not be reopened'),
        );
      }
      reopens++;
      const delay = backoffDelay(reopens, deps.retryPolicy);
      notifier.notify('warning', `Progress stream lost; reconnecting (${reopens}/${deps.streamReopens})`, {
        key: warnKey,
        timeoutMs: 0,
      });
      timer = setTimeout(open, delay);
    };

    const open = () => {
      if (finished) return;
      const es = new deps.EventSource(url, { withCredentials: true });
      source = es;
      for (const type of STREAM_EVENT_TYPES) {
        es.addEventListener(type, (ev) => {
          if (finished || source !== es) return;
          const raw = (ev as MessageEvent).data;
          // EventSource fires a plain `error` Event for transport failures; the server's `error` has data.
          if (typeof raw !== 'string') {
            if (type === 'error') onTransportError(es);
            return;
          }
          const event = toStreamEvent(type, raw);
          if (!event) return;
          if (reopens > 0 || es.readyState === STREAM_OPEN) notifier.dismiss(warnKey);
          if (event.type === 'status') last = event.snapshot;
          onEvent?.(event);
          if (event.type === 'done') finish(event.snapshot);
        });
      }
    };

    const onTransportError = (es: EventSourceLike) => {
      if (es.readyState === STREAM_CLOSED) {
        es.close();
        void recover();
      } else {
        notifier.notify('warning', 'Progress stream interrupted; reconnecting', {
          key: warnKey,
          timeoutMs: 0,
        });
      }
    };

    open();
    return () => {
      finished = true;
      if (timer) clearTimeout(timer);
      source?.close();
      notifier.dismiss(warnKey);
    };
  }

  /** The `/view` URL of a ComfyUI image (cookie-authenticated, usable in `<img src>`). */
  function viewUrl(ref: ImageRef): string {
    return `/api/comfy/view${query({ filename: ref.filename, subfolder: ref.subfolder || undefined, type: ref.type })}`;
  }

  /** Fetches image bytes through the gateway, retrying 429 (after Retry-After) and 5xx. */
  async function fetchImage(ref: ImageRef): Promise<{ blob: Blob; url: string }> {
    const blob = await retrying('Loading the image', async () => {
      const res = await request(viewUrl(ref), { fetch: deps.fetch, headers: { accept: 'image/*' } });
      return res.blob();
    });
    return { blob, url: URL.createObjectURL(blob) };
  }

  /** Saves an image to the gallery: an upload (multipart) or straight from ComfyUI by prompt id + filename. */
  async function ingestImage(input: IngestInput): Promise<IngestResult> {
    let body: FormData | IngestFromComfyInput;
    if ('file' in input) {
      const form = new FormData();
      form.set('file', input.file, input.filename ?? 'image.png');
      if (input.prompt_id) form.set('prompt_id', input.prompt_id);
      if (input.workflow) form.set('workflow', JSON.stringify(input.workflow));
      if (input.metadata) form.set('metadata', JSON.stringify(input.metadata));
      body = form;
    } else body = input;
    try {
      const out = await retrying('Saving to the gallery', () =>
        json<IngestResult>('/api/comfy/ingest', { method: 'POST', body }),
      );
      notifier.notify('success', out.deduplicated ? 'Already in the gallery' : 'Saved to the gallery');
      return out;
    } catch (err) {
      notifier.notify('error', `Could not save: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** ComfyUI's object_info through the gateway's cache; `refresh` bypasses it. */
  function getComfyInfo(refresh = false): Promise<ComfyObjectInfo> {
    return json<ComfyObjectInfo>(`/api/comfy/object-info${refresh ? '?refresh=1' : ''}`);
  }

  return {
    queueWorkflow,
    textToImage,
    subscribeToStatus,
    fetchImage,
    viewUrl,
    ingestImage,
    getComfyInfo,
    getNodeInfo: (nodeClass: string) =>
      json<NodeInfo>(`/api/comfy/object-info/${encodeURIComponent(nodeClass)}`),
    getStatus: (promptId: string) => json<JobSnapshot>(`/api/comfy/status/${encodeURIComponent(promptId)}`),
    getHistory: (promptId: string) =>
      json<HistorySummary>(`/api/comfy/history/${encodeURIComponent(promptId)}`),
    getQueue: () => json<QueueState>('/api/comfy/queue'),
    cancel: (promptId: string) =>
      json<{ prompt_id: string; cancelled: boolean }>(`/api/comfy/cancel/${encodeURIComponent(promptId)}`, {
        method: 'POST',
      }),
  };
}

export type Comfy = ReturnType<typeof useComfy>;
