import * as z from 'zod';
import { imageRefSchema } from './image.ts';

/** A ComfyUI prompt id as the gateway accepts it in paths and inputs (UUIDs and ComfyUI's own). */
// `.` and `..` are dot segments: in ComfyUI's URLs (`/history/{id}`) they would name another path.
export const promptIdSchema = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$/, 'not a prompt id');
export type PromptId = z.infer<typeof promptIdSchema>;

export const jobStatusSchema = z.enum([
  'queued',
  'running',
  'completed',
  'failed',
  'interrupted',
  'cancelled',
  'unknown',
]);
export type JobStatus = z.infer<typeof jobStatusSchema>;

export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'interrupted', 'cancelled'];
export const isFinalJobStatus = (s: JobStatus): boolean => FINAL_JOB_STATUSES.includes(s);

export const jobProgressSchema = z.object({
  /** Step within the current node (sampler steps), else 0/1. */
  value: z.number().nonnegative(),
  max: z.number().positive(),
  node: z.string().nullable(),
  /** Whole-run estimate 0..100 from finished nodes and the current node's steps. */
  percent: z.number().min(0).max(100),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const jobErrorSchema = z.object({
  /** Why it ended: `execution_error`, `interrupted`, `vanished`, `comfy_unreachable`. */
  code: z.string().optional(),
  message: z.string(),
  node_id: z.string().nullable().optional(),
  node_type: z.string().nullable().optional(),
  exception_type: z.string().optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/** Everything known about one prompt; the body of `GET /status/:id` and every `status` event. */
export const jobSnapshotSchema = z.object({
  prompt_id: z.string(),
  status: jobStatusSchema,
  queue_position: z.int().nonnegative().nullable().optional(),
  progress: jobProgressSchema.optional(),
  current_node: z
    .object({ id: z.string(), class_type: z.string().optional(), title: z.string().optional() })
    .nullable()
    .optional(),
  images: z.array(imageRefSchema).optional(),
  error: jobErrorSchema.optional(),
  /** How the gateway follows the prompt: the shared socket, or polling for foreign client ids. */
  followed_by: z.enum(['socket', 'polling']).optional(),
  created_at: z.number().optional(),
  started_at: z.number().nullable().optional(),
  finished_at: z.number().nullable().optional(),
});
export type JobSnapshot = z.infer<typeof jobSnapshotSchema>;

/** The seed's open-shaped status: a snapshot, with room for server-specific keys. */
export const comfyStatusSchema = jobSnapshotSchema.loose();
export type ComfyStatus = z.infer<typeof comfyStatusSchema>;

/** The answer to a cancel: `cancelled` is false when the prompt had already ended. */
export const cancelResultSchema = z.object({ prompt_id: z.string(), cancelled: z.boolean() });
export type CancelResult = z.infer<typeof cancelResultSchema>;
