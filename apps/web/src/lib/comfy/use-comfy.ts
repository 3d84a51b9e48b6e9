import {
  DEFAULT_RETRY_POLICY,
  GatewayClientError,
  backoffDelay,
  createGatewayRest,
  errorMessage,
  withRetry,
} from '@comfy-gateway/client';
import type { GatewayRest, RetryPolicy } from '@comfy-gateway/client';
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
  Text2ImgInput,
  Workflow,
} from '@comfy-gateway/schema';
import { reportUnauthorized } from '../api/unauthorized.ts';
import { notifications } from '../notifications.svelte.ts';
import type { Notifier } from '../notifications.svelte.ts';
import { followPrompt } from './follow-prompt.ts';
import type { CompleteHandler, StreamEventHandler, SubscribeOptions, Unsubscribe } from './follow-prompt.ts';

export type { CompleteHandler, StreamEventHandler, SubscribeOptions, Unsubscribe } from './follow-prompt.ts';

export interface ComfyDeps {
  fetch: typeof fetch;
  notifier: Notifier;
  retryPolicy: RetryPolicy;
  /** How many times a stream that failed for good is reopened before giving up. */
  streamReopens: number;
}

export type IngestUploadInput = {
  file: Blob;
  filename?: string;
  prompt_id?: string;
  workflow?: Workflow | Record<string, unknown>;
  metadata?: Record<string, unknown>;
};
export type IngestInput = IngestUploadInput | IngestFromComfyInput;

function newIdempotencyKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** What a retry notice says about an error. */
function describe(error: unknown): string {
  if (error instanceof GatewayClientError) {
    if (error.code === 'NETWORK_ERROR') return 'The gateway could not be reached';
    if (error.status) return `${error.status} ${error.message}`;
  }
  return errorMessage(error);
}

/**
 * The seed's composable over `@comfy-gateway/client`: calls to `/api/comfy` with the session
 * cookie, retries with exponential backoff, and notifications.
 */
export function useComfy(overrides: Partial<ComfyDeps> = {}) {
  const deps: ComfyDeps = {
    fetch: (...args) => globalThis.fetch(...args),
    notifier: notifications,
    retryPolicy: DEFAULT_RETRY_POLICY,
    streamReopens: 5,
    ...overrides,
  };
  const { notifier } = deps;
  const rest: GatewayRest = createGatewayRest({ url: '', fetch: deps.fetch, onError: reportUnauthorized });

  /** Retries transient failures and keeps the user informed with one replacing toast per action. */
  async function retrying<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const key = `retry:${label}:${newIdempotencyKey()}`;
    let retried = 0;
    try {
      const out = await withRetry(fn, {
        policy: deps.retryPolicy,
        onRetry: ({ attempt, delayMs, error }) => {
          retried = attempt;
          notifier.notify(
            'warning',
            `${label} failed (${describe(error)}); retry ${attempt} of ${deps.retryPolicy.retries} in ${(delayMs / 1000).toFixed(1)} s`,
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

  /** Queues an API-format workflow (same Idempotency-Key across retries, so nothing is queued twice). */
  function queueWorkflow(workflow: Workflow, clientId?: string): Promise<ComfyQueueResponse> {
    const idempotencyKey = newIdempotencyKey();
    return retrying('Queueing the workflow', () =>
      rest.queue(workflow, clientId ? { clientId, idempotencyKey } : { idempotencyKey }),
    );
  }

  /** Builds and queues a text-to-image run; validation errors (400) are thrown at once. */
  function textToImage(params: Text2ImgInput): Promise<ComfyText2ImgResponse> {
    const idempotencyKey = newIdempotencyKey();
    return retrying('Starting the generation', () => rest.text2img(params, { idempotencyKey }));
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
    const twoCallbacks = typeof b === 'function';
    return followPrompt({
      rest,
      notifier,
      promptId,
      onEvent: twoCallbacks ? (a as StreamEventHandler) : null,
      onComplete: twoCallbacks ? b : (a as CompleteHandler),
      opts: (twoCallbacks ? c : b) ?? {},
      reopens: deps.streamReopens,
      reopenDelay: (n) => backoffDelay(n, deps.retryPolicy),
    });
  }

  /** The `/view` URL of a ComfyUI image (cookie-authenticated, usable in `<img src>`). */
  function viewUrl(ref: ImageRef): string {
    const q = new URLSearchParams({ filename: ref.filename });
    if (ref.subfolder) q.set('subfolder', ref.subfolder);
    q.set('type', ref.type);
    return `/api/comfy/view?${q}`;
  }

  /** Fetches image bytes through the gateway, retrying 429 (after Retry-After) and 5xx. */
  async function fetchImage(ref: ImageRef): Promise<{ blob: Blob; url: string }> {
    const blob = await retrying('Loading the image', async () => {
      const image = await rest.openImage(ref);
      const bytes = await new Response(image.body).arrayBuffer();
      return new Blob([bytes], { type: image.contentType });
    });
    return { blob, url: URL.createObjectURL(blob) };
  }

  /** Saves an image to the gallery: an upload (multipart) or straight from ComfyUI by prompt id + filename. */
  async function ingestImage(input: IngestInput): Promise<IngestResult> {
    const send = () =>
      'file' in input
        ? rest.ingest({
            file: input.file,
            ...(input.filename ? { filename: input.filename } : {}),
            ...(input.prompt_id ? { promptId: input.prompt_id } : {}),
            ...(input.workflow ? { workflow: input.workflow } : {}),
            ...(input.metadata ? { metadata: input.metadata } : {}),
          })
        : rest.ingestFromComfy(input);
    try {
      const out = await retrying('Saving to the gallery', send);
      notifier.notify('success', out.deduplicated ? 'Already in the gallery' : 'Saved to the gallery');
      return out;
    } catch (err) {
      notifier.notify('error', `Could not save: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** ComfyUI's object_info through the gateway's cache; `refresh` bypasses it. */
  function getComfyInfo(refresh = false): Promise<ComfyObjectInfo> {
    return rest.objectInfo({ refresh });
  }

  return {
    queueWorkflow,
    textToImage,
    subscribeToStatus,
    fetchImage,
    viewUrl,
    ingestImage,
    getComfyInfo,
    getNodeInfo: async (nodeClass: string): Promise<NodeInfo | undefined> =>
      (await rest.nodeInfo(nodeClass))[nodeClass],
    getStatus: (promptId: string): Promise<JobSnapshot> => rest.status(promptId),
    getHistory: (promptId: string): Promise<HistorySummary> => rest.history(promptId),
    getQueue: (): Promise<QueueState> => rest.queueState(),
    cancel: (promptId: string) => rest.cancel(promptId),
  };
}

export type Comfy = ReturnType<typeof useComfy>;
