import * as s from '@comfy-gateway/schema';
import * as z from 'zod';

type Schema = z.ZodType;
interface Op {
  summary: string;
  body?: Schema;
  multipart?: Record<string, string>;
  query?: Record<string, string>;
  ok: [number, Schema | 'binary' | 'sse' | 'empty'];
  errors: number[];
  public?: boolean;
}

const json = (schema: Schema, io: 'input' | 'output') => ({
  'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) },
});
const errorResponse = { description: 'error', content: json(s.errorBodySchema, 'output') };
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });

const ROUTES: Record<string, Record<string, Op>> = {
  '/api/comfy/health': {
    get: { summary: 'Feature flag and ComfyUI connection state', ok: [200, s.healthSchema], errors: [401] },
  },
  '/api/comfy/queue': {
    post: {
      summary: 'Queue an API-format workflow (Idempotency-Key honoured)',
      body: s.comfyQueueRequestSchema,
      ok: [200, s.comfyQueueResponseSchema],
      errors: [400, 401, 409, 503],
    },
    get: { summary: 'The live ComfyUI queue', ok: [200, s.queueStateSchema], errors: [401, 503] },
  },
  '/api/comfy/status/{prompt_id}': {
    get: {
      summary: 'State, queue position, progress, images, error',
      ok: [200, s.jobSnapshotSchema],
      errors: [401, 404, 503],
    },
  },
  '/api/comfy/history/{prompt_id}': {
    get: {
      summary: 'Sanitized history of a prompt',
      ok: [200, s.historySummarySchema],
      errors: [401, 404, 503],
    },
  },
  '/api/comfy/object-info': {
    get: {
      summary: 'Cached object_info (ETag; refresh=1 bypasses the cache)',
      query: { refresh: 'boolean' },
      ok: [200, s.comfyObjectInfoSchema],
      errors: [401, 503],
    },
  },
  '/api/comfy/object-info/{node_class}': {
    get: {
      summary: 'object_info of one node class',
      ok: [200, s.comfyObjectInfoSchema],
      errors: [401, 404, 503],
    },
  },
  '/api/comfy/view': {
    get: {
      summary: 'Image bytes, streamed',
      query: { filename: 'string', subfolder: 'string', type: 'string' },
      ok: [200, 'binary'],
      errors: [400, 401, 404, 429, 503],
    },
  },
  '/api/comfy/text2img': {
    post: {
      summary: 'Build and queue a text-to-image workflow',
      body: s.text2ImgParamsSchema,
      ok: [200, s.comfyText2ImgResponseSchema],
      errors: [400, 401, 409, 503],
    },
  },
  '/api/comfy/ingest': {
    post: {
      summary: 'Store an image in the gallery (multipart upload, or JSON to pull it from ComfyUI)',
      multipart: { file: 'binary', prompt_id: 'string', workflow: 'JSON string', metadata: 'JSON string' },
      body: s.ingestFromComfyInputSchema,
      ok: [201, s.ingestResultSchema],
      errors: [400, 401, 413, 503],
    },
  },
  '/api/comfy/stream/{prompt_id}': {
    get: {
      summary: 'SSE: status, images, preview, warning, error, then done',
      ok: [200, 'sse'],
      errors: [401, 404, 503],
    },
  },
  '/api/comfy/cancel/{prompt_id}': {
    post: {
      summary: 'Remove a pending prompt or interrupt a running one',
      ok: [200, z.object({ prompt_id: z.string(), cancelled: z.boolean() })],
      errors: [401, 404, 503],
    },
  },
  '/api/auth/login': {
    post: {
      summary: 'Log in; returns a token and sets the session cookie',
      body: s.loginInputSchema,
      ok: [200, s.loginResponseSchema],
      errors: [400, 401, 429],
      public: true,
    },
  },
  '/api/auth/logout': { post: { summary: 'End the session', ok: [204, 'empty'], errors: [401] } },
  '/api/auth/me': { get: { summary: 'The current user', ok: [200, s.userSchema], errors: [401, 403] } },
  '/api/auth/tokens': {
    get: { summary: 'Your API tokens', ok: [200, z.array(s.apiTokenSchema)], errors: [401] },
    post: {
      summary: 'Create an API token (shown once)',
      body: s.createApiTokenInputSchema,
      ok: [201, s.createdApiTokenSchema],
      errors: [400, 401],
    },
  },
  '/api/auth/tokens/{id}': {
    delete: { summary: 'Revoke an API token', ok: [204, 'empty'], errors: [401, 404] },
  },
  '/api/auth/users': {
    get: { summary: 'Users (admin)', ok: [200, z.array(s.userSchema)], errors: [401, 403] },
    post: {
      summary: 'Create a user (admin)',
      body: s.createUserInputSchema,
      ok: [201, s.userSchema],
      errors: [400, 401, 403, 409],
    },
  },
  '/api/auth/users/{id}': {
    patch: {
      summary: 'Activate, deactivate, change role or password (admin)',
      body: s.patchUserInputSchema,
      ok: [200, s.userSchema],
      errors: [400, 401, 403, 404, 409],
    },
  },
  '/api/gallery': {
    get: {
      summary: 'Gallery, newest first, cursor paged',
      query: { cursor: 'string', limit: 'integer' },
      ok: [200, s.galleryListSchema],
      errors: [400, 401],
    },
  },
  '/api/gallery/{id}': {
    get: {
      summary: 'One gallery item with its provenance sidecar',
      ok: [200, s.galleryDetailSchema],
      errors: [401, 404],
    },
    delete: { summary: 'Delete an item, its file and sidecar', ok: [204, 'empty'], errors: [401, 404] },
  },
  '/api/gallery/{id}/file': { get: { summary: 'The image file', ok: [200, 'binary'], errors: [401, 404] } },
};

function operation(path: string, op: Op): Record<string, unknown> {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => idParam(m[1] ?? ''));
  const query = Object.entries(op.query ?? {}).map(([name, type]) => ({
    name,
    in: 'query',
    schema: { type },
  }));
  const [status, out] = op.ok;
  const content =
    out === 'binary'
      ? { 'image/*': { schema: { type: 'string', format: 'binary' } } }
      : out === 'sse'
        ? { 'text/event-stream': { schema: z.toJSONSchema(s.streamEventSchema, { io: 'output' }) } }
        : out === 'empty'
          ? undefined
          : json(out, 'output');
  const body: Record<string, unknown> = {};
  if (op.body) body['application/json'] = json(op.body, 'input')['application/json'];
  if (op.multipart) {
    const properties = Object.fromEntries(
      Object.entries(op.multipart).map(([k, v]) => [
        k,
        v === 'binary' ? { type: 'string', format: 'binary' } : { type: 'string', description: v },
      ]),
    );
    body['multipart/form-data'] = { schema: { type: 'object', required: ['file'], properties } };
  }
  return {
    summary: op.summary,
    ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
    ...(Object.keys(body).length > 0 ? { requestBody: { required: true, content: body } } : {}),
    ...(op.public ? { security: [] } : {}),
    responses: {
      [status]: { description: 'ok', ...(content ? { content } : {}) },
      ...Object.fromEntries(op.errors.map((code) => [code, errorResponse])),
    },
  };
}

/** OpenAPI 3.1 description of the REST shim, generated from the shared zod schemas. */
export function buildOpenApi(version = '0.1.0'): Record<string, unknown> {
  const paths = Object.fromEntries(
    Object.entries(ROUTES).map(([p, ops]) => [
      p,
      Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, operation(p, op)])),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'comfy-gateway REST/SSE API', version },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'cg_session' },
      },
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
  };
}
