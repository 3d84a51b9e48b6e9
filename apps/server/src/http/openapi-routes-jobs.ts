import type { RouteSpec } from './openapi-operation.ts';
import { ref } from './openapi-schemas.ts';

// A prompt id that cannot be one is a 404, as the routes check it.
export const PROMPT_ID = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' };

/** How every per-prompt route treats a prompt the caller may not see. */
export const NOT_YOURS =
  'Unknown prompts and prompts of other users answer 404 with the same body (admins see all; ' +
  'prompts queued on ComfyUI by other programs: admins only).';

/** `/api/comfy/jobs*`: the job ledger, read without asking ComfyUI. */
export const JOBS_ROUTES: Record<string, Partial<Record<'get' | 'patch', RouteSpec>>> = {
  '/api/comfy/jobs': {
    get: {
      operationId: 'listJobs',
      summary: 'Your jobs from the ledger, newest first, cursor paged',
      description: 'Admins may pass `user=<id>` or `user=all`; anyone else naming another user is 403.',
      tag: 'comfy',
      query: [
        {
          name: 'status',
          description: 'Only jobs in this state.',
          schema: ref('JobStatus'),
        },
        {
          name: 'kind',
          description: 'Only raw workflows or only text2img jobs.',
          schema: ref('JobKind'),
        },
        {
          name: 'cursor',
          description: '`next_cursor` of the previous page.',
          schema: { type: 'string', minLength: 1, maxLength: 200 },
        },
        {
          name: 'limit',
          description: 'Page size.',
          schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
        {
          name: 'user',
          description: 'Whose jobs: a user id or `all` (admins only, except your own id).',
          schema: {
            anyOf: [
              { type: 'integer', minimum: 1 },
              { type: 'string', enum: ['all'] },
            ],
          },
        },
      ],
      ok: { 200: { description: 'one page', body: 'JobList' } },
      errors: [400],
    },
  },
  '/api/comfy/jobs/{prompt_id}': {
    get: {
      operationId: 'getJob',
      summary: 'One job: the list item plus the workflow as sent and its hash',
      description: NOT_YOURS,
      tag: 'comfy',
      path: { prompt_id: PROMPT_ID },
      ok: { 200: { description: 'the record', body: 'JobRecord' } },
      errors: [404],
    },
    patch: {
      operationId: 'setJobPriority',
      summary: 'Admins: change a job\u2019s priority (higher runs first)',
      description:
        'Reordered in the gateway queue while the job waits there (`waiting: true`); recorded in the ' +
        'ledger in any case. Unknown prompts are 404.',
      tag: 'comfy',
      access: 'admin',
      path: { prompt_id: PROMPT_ID },
      body: 'SetJobPriorityRequest',
      ok: { 200: { description: 'the new priority', body: 'JobPriorityResult' } },
      errors: [404],
    },
  },
};
