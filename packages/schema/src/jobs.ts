import * as z from 'zod';
import { imageRefSchema } from './image.ts';
import { jobErrorSchema, jobStatusSchema } from './job.ts';

export const jobKindSchema = z.enum(['workflow', 'text2img']);
export type JobKind = z.infer<typeof jobKindSchema>;

/** One job as the ledger lists it: everything but the (possibly large) workflow. */
export const jobSummarySchema = z.object({
  prompt_id: z.string(),
  /** The user who queued it; null for prompts queued on ComfyUI by other programs (admins only). */
  owner_id: z.int().nullable(),
  kind: jobKindSchema,
  /** The text2img parameters as accepted (seed filled in); null for raw workflows. */
  params: z.record(z.string(), z.unknown()).nullable(),
  status: jobStatusSchema,
  error: jobErrorSchema.nullable(),
  images: z.array(imageRefSchema),
  priority: z.int(),
  created_at: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  /** finished - started, when both are known. */
  duration_ms: z.number().nullable(),
  /** The ComfyUI server that ran it, once several servers are pooled. */
  backend: z.string().nullable(),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

/** `GET /api/comfy/jobs/:prompt_id`: the full record, with the workflow as sent and its hash. */
export const jobRecordSchema = jobSummarySchema.extend({
  workflow: z.record(z.string(), z.unknown()).nullable(),
  workflow_hash: z.string().nullable(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** `GET /api/comfy/jobs` query (strings from a URL are coerced). */
export const jobListQuerySchema = z.object({
  status: jobStatusSchema.optional(),
  kind: jobKindSchema.optional(),
  /** Opaque: the `next_cursor` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Admins only: another user's jobs, or `all`. */
  user: z.union([z.literal('all'), z.coerce.number().int().positive()]).optional(),
});
export type JobListQuery = z.infer<typeof jobListQuerySchema>;
export type JobListQueryInput = z.input<typeof jobListQuerySchema>;

export const jobListSchema = z.object({
  items: z.array(jobSummarySchema),
  next_cursor: z.string().nullable(),
});
export type JobList = z.infer<typeof jobListSchema>;
