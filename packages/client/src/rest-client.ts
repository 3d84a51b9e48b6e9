import type {
  ComfyObjectInfo,
  ComfyQueueResponse,
  ComfyStatus,
  ComfyText2ImgResponse,
  Health,
  HistorySummary,
  ImageRef,
  IngestFromComfyInput,
  IngestResult,
  JobSnapshot,
  LoginResponse,
  QueueState,
  Text2ImgInput,
  User,
} from '@comfy-gateway/schema';
import { openImage } from './images.ts';
import type { ImageDownload } from './images.ts';
import { createHttp } from './http.ts';
import type { HttpOptions } from './http.ts';
import { followUntilDone, streamPrompt } from './rest-stream.ts';
import type { StreamItem, StreamOptions } from './rest-stream.ts';

/** Per-call options every helper takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface CancelResult {
  prompt_id: string;
  cancelled: boolean;
}

/** An API-format graph; plain interfaces fit too (the schema's `Workflow` is one). */
export type WorkflowInput = Record<
  string,
  { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string | undefined } | undefined }
>;

/** A file (bytes plus name) to upload into the gallery with its provenance. */
export interface IngestUpload extends CallOptions {
  file: Blob;
  /** Original file name kept in the sidecar (default `image.png`). */
  filename?: string;
  promptId?: string;
  workflow?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Plain helpers over the REST/SSE shim at `/api/comfy`, for apps that skip tRPC. */
export interface GatewayRest {
  health(o?: CallOptions): Promise<Health>;
  queue(
    workflow: WorkflowInput,
    o?: CallOptions & { clientId?: string; idempotencyKey?: string },
  ): Promise<ComfyQueueResponse>;
  text2img(
    params: Text2ImgInput,
    o?: CallOptions & { idempotencyKey?: string },
  ): Promise<ComfyText2ImgResponse>;
  status(promptId: string, o?: CallOptions): Promise<ComfyStatus>;
  history(promptId: string, o?: CallOptions): Promise<HistorySummary>;
  /** Removes a queued prompt or interrupts a running one; `cancelled: false` when it had ended. */
  cancel(promptId: string, o?: CallOptions): Promise<CancelResult>;
  objectInfo(o?: CallOptions & { refresh?: boolean }): Promise<ComfyObjectInfo>;
  /** One node class of object_info, keyed by its name as ComfyUI answers (`{ KSampler: {...} }`). */
  nodeInfo(nodeClass: string, o?: CallOptions): Promise<ComfyObjectInfo>;
  /** ComfyUI's queue: running and pending prompts. */
  queueState(o?: CallOptions): Promise<QueueState>;
  /** Signs in; the answer carries a session token, and a browser also gets the session cookie. */
  login(email: string, password: string, o?: CallOptions): Promise<LoginResponse>;
  /** Ends the session of the token (or cookie) in use. */
  logout(o?: CallOptions): Promise<void>;
  /** The signed-in user. */
  me(o?: CallOptions): Promise<User>;
  /** The prompt's events; reconnects with Last-Event-ID and ends after `done`. */
  stream(promptId: string, o?: StreamOptions): AsyncIterable<StreamItem>;
  /** Follows the prompt to its end; resolves with the final snapshot. */
  streamUntilDone(
    promptId: string,
    o?: StreamOptions & { onEvent?: (item: StreamItem) => void },
  ): Promise<JobSnapshot>;
  /** Opens an image as a byte stream (with its type and size), without buffering it. */
  openImage(ref: ImageRef | Pick<ImageRef, 'filename'>, o?: CallOptions): Promise<ImageDownload>;
  /** Downloads a whole image into memory. */
  downloadImage(ref: ImageRef | Pick<ImageRef, 'filename'>, o?: CallOptions): Promise<Uint8Array>;
  /** Uploads bytes into the gallery (multipart), with prompt id, workflow and metadata. */
  ingest(upload: IngestUpload): Promise<IngestResult>;
  /** Has the gateway pull an output (and its executed workflow) from ComfyUI into the gallery. */
  ingestFromComfy(input: IngestFromComfyInput, o?: CallOptions): Promise<IngestResult>;
}

const path = (p: string, id: string) => `/api/comfy/${p}/${encodeURIComponent(id)}`;

/** Builds the REST helpers; every non-2xx answer throws `GatewayClientError`. */
export function createGatewayRest(opts: HttpOptions): GatewayRest {
  const http = createHttp(opts);
  const rest: GatewayRest = {
    health: (o = {}) => http.json('GET', '/api/comfy/health', o),
    queue: (workflow, o = {}) =>
      http.json('POST', '/api/comfy/queue', {
        json: o.clientId === undefined ? { workflow } : { workflow, client_id: o.clientId },
        headers: { 'idempotency-key': o.idempotencyKey },
        signal: o.signal,
      }),
    text2img: (params, o = {}) =>
      http.json('POST', '/api/comfy/text2img', {
        json: params,
        headers: { 'idempotency-key': o.idempotencyKey },
        signal: o.signal,
      }),
    status: (id, o = {}) => http.json('GET', path('status', id), o),
    history: (id, o = {}) => http.json('GET', path('history', id), o),
    cancel: (id, o = {}) => http.json('POST', path('cancel', id), o),
    objectInfo: (o = {}) =>
      http.json('GET', '/api/comfy/object-info', {
        query: { refresh: o.refresh ? 1 : undefined },
        signal: o.signal,
      }),
    nodeInfo: (cls, o = {}) => http.json('GET', path('object-info', cls), o),
    queueState: (o = {}) => http.json('GET', '/api/comfy/queue', o),
    login: (email, password, o = {}) =>
      http.json('POST', '/api/auth/login', { json: { email, password }, signal: o.signal }),
    logout: (o = {}) => http.json('POST', '/api/auth/logout', o),
    me: (o = {}) => http.json('GET', '/api/auth/me', o),
    stream: (id, o) => streamPrompt(http, id, o),
    streamUntilDone: (id, o) => followUntilDone(http, id, o),
    openImage: (ref, o = {}) => openImage(http, ref, o.signal),
    async downloadImage(ref, o = {}) {
      const image = await openImage(http, ref, o.signal);
      return new Uint8Array(await new Response(image.body).arrayBuffer());
    },
    ingest(upload) {
      const form = new FormData();
      if (upload.promptId !== undefined) form.append('prompt_id', upload.promptId);
      if (upload.workflow !== undefined) form.append('workflow', JSON.stringify(upload.workflow));
      if (upload.metadata !== undefined) form.append('metadata', JSON.stringify(upload.metadata));
      // The file goes last so the server has every field before it streams the bytes.
      form.append('file', upload.file, upload.filename ?? 'image.png');
      return http.json('POST', '/api/comfy/ingest', { body: form, signal: upload.signal });
    },
    ingestFromComfy: (input, o = {}) =>
      http.json('POST', '/api/comfy/ingest', { json: input, signal: o.signal }),
  };
  return rest;
}
