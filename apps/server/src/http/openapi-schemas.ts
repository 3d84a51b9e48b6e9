import * as s from '@comfy-gateway/schema';
import * as z from 'zod';

/** Request bodies, named under `components.schemas` (rendered as the input a client sends). */
export const REQUEST_SCHEMAS = {
  QueueRequest: s.comfyQueueRequestSchema,
  Workflow: s.workflowSchema,
  // The route takes `priority` off before the params are validated (admins only, not a graph input).
  Text2ImgRequest: z.intersection(
    s.text2ImgParamsSchema,
    z.object({ priority: s.jobPrioritySchema.optional() }),
  ),
  IngestFromComfyRequest: s.ingestFromComfyInputSchema,
  LoginRequest: s.loginInputSchema,
  CreateUserRequest: s.createUserInputSchema,
  PatchUserRequest: s.patchUserInputSchema,
  CreateApiTokenRequest: s.createApiTokenInputSchema,
  ChangePasswordRequest: s.changePasswordInputSchema,
  SetJobPriorityRequest: s.setJobPriorityInputSchema,
} satisfies Record<string, z.ZodType>;

/** Response bodies, named under `components.schemas` (rendered as the output a client reads). */
export const RESPONSE_SCHEMAS = {
  ErrorBody: s.errorBodySchema,
  ErrorCode: s.errorCodeSchema,
  Health: s.healthSchema,
  BackendHealth: s.backendHealthSchema,
  BackendDrainState: s.backendDrainStateSchema,
  JobPriorityResult: s.jobPriorityResultSchema,
  QueueResponse: s.comfyQueueResponseSchema,
  Text2ImgResponse: s.comfyText2ImgResponseSchema,
  QueueState: s.queueStateSchema,
  QueueItem: s.queueItemSchema,
  JobSnapshot: s.jobSnapshotSchema,
  JobStatus: s.jobStatusSchema,
  ImageRef: s.imageRefSchema,
  HistorySummary: s.historySummarySchema,
  ObjectInfo: s.comfyObjectInfoSchema,
  NodeInfo: s.nodeInfoSchema,
  CancelResult: s.cancelResultSchema,
  JobKind: s.jobKindSchema,
  JobSummary: s.jobSummarySchema,
  JobRecord: s.jobRecordSchema,
  JobList: s.jobListSchema,
  StreamEvent: s.streamEventSchema,
  IngestResult: s.ingestResultSchema,
  GalleryList: s.galleryListSchema,
  GalleryItem: s.galleryItemSchema,
  GalleryDetail: s.galleryDetailSchema,
  GallerySidecar: s.gallerySidecarSchema,
  LoginResponse: s.loginResponseSchema,
  User: s.userSchema,
  UserList: s.userListSchema,
  TokenScope: s.tokenScopeSchema,
  ApiToken: s.apiTokenSchema,
  ApiTokenList: s.apiTokenListSchema,
  CreatedApiToken: s.createdApiTokenSchema,
  Liveness: s.livenessSchema,
  Readiness: s.readinessSchema,
} satisfies Record<string, z.ZodType>;

export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;
export type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;

/** `$ref` to a named schema. */
export const ref = (name: RequestSchemaName | ResponseSchemaName) => ({
  $ref: `#/components/schemas/${name}`,
});

type JsonSchema = Record<string, unknown>;

/** One registry rendered with `io`; schemas that name each other become `$ref`s. */
function render(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // Components are not standalone documents: no `$schema`/`$id` of their own.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, stripSafeBounds(rest)]),
  );
}

/** zod writes ±MAX_SAFE_INTEGER bounds on every `z.int()`; they say nothing, so they go. */
function stripSafeBounds(value: unknown): JsonSchema {
  if (Array.isArray(value)) return value.map(stripSafeBounds) as unknown as JsonSchema;
  if (!value || typeof value !== 'object') return value as JsonSchema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'minimum' && v === Number.MIN_SAFE_INTEGER) continue;
    if (k === 'maximum' && v === Number.MAX_SAFE_INTEGER) continue;
    out[k] = stripSafeBounds(v);
  }
  return out;
}

/** Every named schema, requests and responses, for `components.schemas`. */
export function componentSchemas(): Record<string, JsonSchema> {
  return { ...render(REQUEST_SCHEMAS, 'input'), ...render(RESPONSE_SCHEMAS, 'output') };
}
