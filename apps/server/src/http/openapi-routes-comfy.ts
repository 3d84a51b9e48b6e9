import { IF_NONE_MATCH } from './openapi-operation.ts';
import type { Param, RouteSpec } from './openapi-operation.ts';
import { JOBS_ROUTES, NOT_YOURS, PROMPT_ID } from './openapi-routes-jobs.ts';

// Both submit routes count against the caller's and the gateway's caps before ComfyUI is called.
const CAPPED =
  'Over the caller\u2019s cap on unfinished jobs (`USER_MAX_ACTIVE_JOBS`, or their own `max_active_jobs`) ' +
  'or the gateway\u2019s (`QUEUE_MAX_PENDING`): 429 with `Retry-After`.';

const IDEMPOTENCY_KEY: Param = {
  name: 'Idempotency-Key',
  description: 'Repeats with the same key and body within 24 h get the first answer; another body is 409.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
};
const REFRESH: Param = {
  name: 'refresh',
  description: 'Bypass the cache and ask ComfyUI again.',
  schema: { type: 'string', enum: ['1', 'true', 'yes'] },
};
const BACKEND: Param = {
  name: 'backend',
  description: 'With several ComfyUI servers: the one to ask, by name (`ImageRef.backend`).',
  schema: { type: 'string', minLength: 1, maxLength: 64 },
};
// Users submit at priority 0; another `priority` in the body is for admins.
const PRIORITY = ' A `priority` other than 0 in the body is 403 for anyone but an admin.';
const BACKEND_NAME = { type: 'string', minLength: 1, maxLength: 64 };
const drainRoute = (draining: boolean): RouteSpec => ({
  operationId: draining ? 'drainBackend' : 'resumeBackend',
  summary: draining
    ? 'Admins: send no new jobs to this ComfyUI server (running ones finish)'
    : 'Admins: send new jobs to this ComfyUI server again',
  description: 'An unknown name, or a gateway with one ComfyUI server only, is 404.',
  tag: 'comfy',
  access: 'admin',
  path: { name: BACKEND_NAME },
  ok: { 200: { description: 'the server\u2019s new state', body: 'BackendDrainState' } },
  errors: [404],
});

// Every call that reaches ComfyUI: disabled or unreachable (503), a bad answer (502), too slow (504).
const UPSTREAM = [502, 503, 504] as const;

/** `/api/comfy/*`: the ComfyUI routes and the gallery ingest mounted beside them. */
export const COMFY_ROUTES: Record<string, Partial<Record<'get' | 'post' | 'patch', RouteSpec>>> = {
  '/api/comfy/health': {
    get: {
      operationId: 'getComfyHealth',
      summary: 'Feature flag and ComfyUI connection state',
      description: '`service.base_url` and `service.last_error` are sent to admins only.',
      tag: 'comfy',
      ok: { 200: { description: 'the integration state', body: 'Health' } },
    },
  },
  '/api/comfy/queue': {
    post: {
      operationId: 'queuePrompt',
      summary: 'Queue an API-format workflow',
      description: CAPPED + PRIORITY,
      tag: 'comfy',
      headers: [IDEMPOTENCY_KEY],
      body: 'QueueRequest',
      ok: { 200: { description: 'queued', body: 'QueueResponse' } },
      errors: [409, 429, ...UPSTREAM],
    },
    get: {
      operationId: 'getQueue',
      summary: 'The live ComfyUI queue',
      description:
        'Your own items in full (`mine`); other users\u2019 only as a position, without an id. ' +
        'Admins see every item with `owner_id`.',
      tag: 'comfy',
      ok: { 200: { description: 'running and pending prompts', body: 'QueueState' } },
      errors: [...UPSTREAM],
    },
  },
  '/api/comfy/text2img': {
    post: {
      operationId: 'text2img',
      summary: 'Build and queue a text-to-image workflow (preset defaults applied first)',
      description: CAPPED + PRIORITY,
      tag: 'comfy',
      headers: [IDEMPOTENCY_KEY],
      body: 'Text2ImgRequest',
      ok: { 200: { description: 'queued', body: 'Text2ImgResponse' } },
      errors: [409, 429, ...UPSTREAM],
    },
  },
  '/api/comfy/status/{prompt_id}': {
    get: {
      operationId: 'getPromptStatus',
      summary: 'State, queue position, progress, images, error',
      description: NOT_YOURS,
      tag: 'comfy',
      path: { prompt_id: PROMPT_ID },
      ok: { 200: { description: 'the snapshot', body: 'JobSnapshot' } },
      errors: [404, ...UPSTREAM],
    },
  },
  '/api/comfy/history/{prompt_id}': {
    get: {
      operationId: 'getPromptHistory',
      summary: 'Sanitized history of a prompt',
      description: NOT_YOURS,
      tag: 'comfy',
      path: { prompt_id: PROMPT_ID },
      ok: { 200: { description: 'the history', body: 'HistorySummary' } },
      errors: [404, ...UPSTREAM],
    },
  },
  '/api/comfy/cancel/{prompt_id}': {
    post: {
      operationId: 'cancelPrompt',
      summary: 'Remove a pending prompt or interrupt a running one',
      description: NOT_YOURS,
      tag: 'comfy',
      path: { prompt_id: PROMPT_ID },
      ok: { 200: { description: 'cancelled, or already over', body: 'CancelResult' } },
      errors: [404, ...UPSTREAM],
    },
  },
  '/api/comfy/stream/{prompt_id}': {
    get: {
      operationId: 'streamPromptEvents',
      summary: 'SSE: status, images, preview, warning, error, then done',
      description:
        `${NOT_YOURS} A user already holding \`USER_MAX_STREAMS\` streams and sockets gets 429 ` +
        'with `Retry-After`.',
      tag: 'comfy',
      path: { prompt_id: PROMPT_ID },
      query: [
        {
          name: 'previews',
          description: 'Include preview images.',
          schema: { type: 'string', enum: ['1', 'true'] },
        },
      ],
      headers: [
        { name: 'Last-Event-ID', description: 'Resume after this event id.', schema: { type: 'string' } },
      ],
      ok: {
        200: { description: 'the event stream', body: 'sse' },
        204: { description: 'the stream already ended at or before Last-Event-ID', body: 'empty' },
      },
      errors: [404, 429, ...UPSTREAM],
    },
  },
  ...JOBS_ROUTES,
  '/api/comfy/backends/{name}/drain': { post: drainRoute(true) },
  '/api/comfy/backends/{name}/resume': { post: drainRoute(false) },
  '/api/comfy/object-info': {
    get: {
      operationId: 'getObjectInfo',
      summary: 'Cached object_info of every node class (ETag)',
      description:
        'With several servers: the union of theirs, or one server\u2019s (`backend`; unknown: 404).',
      tag: 'comfy',
      query: [REFRESH, BACKEND],
      headers: [IF_NONE_MATCH],
      ok: {
        200: { description: 'object_info', body: 'ObjectInfo' },
        304: { description: 'unchanged since the given ETag', body: 'empty' },
      },
      errors: [404, ...UPSTREAM],
    },
  },
  '/api/comfy/object-info/{node_class}': {
    get: {
      operationId: 'getNodeInfo',
      summary: 'object_info of one node class (ETag)',
      tag: 'comfy',
      path: { node_class: { type: 'string', minLength: 1 } },
      query: [REFRESH],
      headers: [IF_NONE_MATCH],
      ok: {
        200: { description: 'object_info with that one class', body: 'ObjectInfo' },
        304: { description: 'unchanged since the given ETag', body: 'empty' },
      },
      errors: [404, ...UPSTREAM],
    },
  },
  '/api/comfy/view': {
    get: {
      operationId: 'viewImage',
      summary: 'Image bytes from ComfyUI, streamed (rate limited)',
      description: 'Only files among the images of your own jobs (admins: any); anything else is 404.',
      tag: 'comfy',
      query: [
        {
          name: 'filename',
          description: 'A file name, not a path.',
          required: true,
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
        {
          name: 'subfolder',
          description: 'Relative folder, no "..".',
          schema: { type: 'string', maxLength: 255, default: '' },
        },
        {
          name: 'type',
          description: 'Which ComfyUI folder.',
          schema: { type: 'string', enum: ['output', 'input', 'temp'], default: 'output' },
        },
        {
          ...BACKEND,
          description:
            'With several ComfyUI servers: which one made the file. Needed (400 otherwise) when ' +
            'files of that name came from more than one.',
        },
      ],
      ok: { 200: { description: 'the image', body: 'image' } },
      errors: [400, 404, 429, ...UPSTREAM],
    },
  },
  '/api/comfy/ingest': {
    post: {
      operationId: 'ingestImage',
      summary: 'Store an image in the gallery: a multipart upload, or JSON to pull it from ComfyUI',
      tag: 'gallery',
      multipart: {
        file: 'The image (PNG, JPEG or WebP).',
        prompt_id: 'The prompt that made it.',
        workflow: 'A JSON object: the workflow.',
        metadata: 'A JSON object: anything else to keep.',
      },
      body: 'IngestFromComfyRequest',
      ok: {
        201: { description: 'stored', body: 'IngestResult' },
        200: { description: 'the same bytes were already in the gallery', body: 'IngestResult' },
      },
      errors: [404, ...UPSTREAM],
    },
  },
};
