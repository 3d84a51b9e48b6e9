import { ERROR_HTTP_STATUS } from '@comfy-gateway/schema';
import type { ErrorCode, ErrorStatus } from '@comfy-gateway/schema';
import { ref } from './openapi-schemas.ts';
import type { RequestSchemaName, ResponseSchemaName } from './openapi-schemas.ts';

type JsonSchema = Record<string, unknown>;

/** A success body: a named schema, or one of the kinds that are not JSON. */
export type Body = ResponseSchemaName | 'image' | 'sse' | 'text' | 'document' | 'empty';

/** A query or header parameter (`schema` is JSON Schema). */
export interface Param {
  name: string;
  description: string;
  schema: JsonSchema;
  required?: boolean;
}

/**
 * Who may call it: `user` (default) and `admin` add 401/403, and 503 (the credential is checked
 * in the database, which may be unavailable); `public` and `metrics` do not.
 */
export type Access = 'user' | 'admin' | 'public' | 'metrics';

/** One operation, declared in a few lines; `operation()` turns it into OpenAPI. */
export interface RouteSpec {
  operationId: string;
  summary: string;
  /** Longer prose: who sees what, and why a status is sent. */
  description?: string;
  tag: string;
  access?: Access;
  /** Path parameters by name (JSON Schema); every `{name}` in the path needs one. */
  path?: Record<string, JsonSchema>;
  query?: Param[];
  headers?: Param[];
  /** A JSON request body. */
  body?: RequestSchemaName;
  /** A multipart request body: field name -> description (`file` is the binary part). */
  multipart?: Record<string, string>;
  /** Success statuses and what each carries. */
  ok: Partial<Record<200 | 201 | 204 | 304 | 503, { description: string; body: Body }>>;
  /** Error statuses besides the ones implied (access, JSON body parsing, 500). */
  errors?: ErrorStatus[];
}

/** Conditional GET: the routes that send an ETag answer 304 when it still matches. */
export const IF_NONE_MATCH: Param = {
  name: 'If-None-Match',
  description: 'An ETag from an earlier answer; 304 when it still matches.',
  schema: { type: 'string' },
};

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
const BINARY = { type: 'string', format: 'binary' };

/** A client-sent body can also be malformed, too large, or in a charset we do not read. */
const BODY_ERRORS: ErrorStatus[] = [400, 413, 415];
const ACCESS_ERRORS: Record<Access, ErrorStatus[]> = {
  user: [401, 403, 503],
  admin: [401, 403, 503],
  public: [],
  metrics: [401],
};

/** Response headers some error statuses always carry (the REST error handler sets them). */
const ERROR_HEADERS: Partial<Record<number, Record<string, unknown>>> = {
  429: {
    'Retry-After': {
      description: 'Seconds to wait before trying again.',
      required: true,
      schema: { type: 'string', pattern: '^[0-9]+$' },
    },
  },
  // REDIS_UNAVAILABLE and DATABASE_UNAVAILABLE send it; a ComfyUI 503 does not.
  503: {
    'Retry-After': {
      description: 'Seconds to wait before trying again (when a shared service is unavailable).',
      required: false,
      schema: { type: 'string', pattern: '^[0-9]+$' },
    },
  },
};

const codesOf = (status: number) =>
  (Object.keys(ERROR_HTTP_STATUS) as ErrorCode[]).filter((c) => ERROR_HTTP_STATUS[c] === status);

/** `components.responses`: one error response per status, its `code` narrowed to that status. */
export function errorResponses(): Record<string, unknown> {
  const statuses = [...new Set(Object.values(ERROR_HTTP_STATUS))].sort();
  return Object.fromEntries(
    statuses.map((status) => [
      `Error${status}`,
      {
        description: codesOf(status).join(' or '),
        ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
        content: {
          'application/json': {
            schema: {
              allOf: [
                ref('ErrorBody'),
                {
                  type: 'object',
                  properties: { error: { type: 'object', properties: { code: { enum: codesOf(status) } } } },
                },
              ],
            },
          },
        },
      },
    ]),
  );
}

function content(body: Body): Record<string, unknown> | undefined {
  switch (body) {
    case 'empty':
      return undefined;
    case 'image':
      return Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: BINARY }]));
    case 'sse':
      return {
        // Each event's `data` line is a JSON StreamEvent (JSON Schema's content vocabulary says so).
        'text/event-stream': {
          schema: {
            type: 'string',
            description: 'Server-sent events; the `data` of each is a JSON StreamEvent.',
            contentMediaType: 'application/json',
            contentSchema: ref('StreamEvent'),
          },
        },
      };
    case 'text':
      return { 'text/plain': { schema: { type: 'string' } } };
    case 'document':
      return { 'application/json': { schema: { type: 'object' } } };
    default:
      return { 'application/json': { schema: ref(body) } };
  }
}

function requestBody(spec: RouteSpec): Record<string, unknown> | undefined {
  const media: Record<string, unknown> = {};
  if (spec.body) media['application/json'] = { schema: ref(spec.body) };
  if (spec.multipart) {
    const properties = Object.fromEntries(
      Object.entries(spec.multipart).map(([k, description]) => [
        k,
        k === 'file' ? { ...BINARY, description } : { type: 'string', description },
      ]),
    );
    media['multipart/form-data'] = { schema: { type: 'object', required: ['file'], properties } };
  }
  return Object.keys(media).length > 0 ? { required: true, content: media } : undefined;
}

/** The OpenAPI operation object of one route. */
export function operation(path: string, spec: RouteSpec): Record<string, unknown> {
  const access = spec.access ?? 'user';
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const parameters = [
    ...names.map((name) => {
      const schema = spec.path?.[name];
      if (!schema) throw new Error(`${spec.operationId}: no schema for path parameter ${name}`);
      return { name, in: 'path', required: true, schema };
    }),
    ...(spec.query ?? []).map((p) => ({ in: 'query', required: p.required ?? false, ...p })),
    ...(spec.headers ?? []).map((p) => ({ in: 'header', required: p.required ?? false, ...p })),
  ];
  const errors = new Set<number>([
    ...ACCESS_ERRORS[access],
    ...(spec.body || spec.multipart ? BODY_ERRORS : []),
    ...(spec.errors ?? []),
    500,
  ]);
  const responses: Record<string, unknown> = {};
  for (const [status, { description, body }] of Object.entries(spec.ok)) {
    const media = content(body);
    responses[status] = { description, ...(media ? { content: media } : {}) };
  }
  for (const status of [...errors].sort())
    responses[status] = { $ref: `#/components/responses/Error${status}` };
  const body = requestBody(spec);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    ...(access === 'public' ? { security: [] } : {}),
    ...(access === 'metrics' ? { security: [{}, { metricsToken: [] }] } : {}),
    responses,
  };
}
