import * as z from 'zod';
import { imageRefSchema } from './image.ts';
import { jobStatusSchema } from './job.ts';

/** One output of one node in a finished run (`images`, `gifs`, `text`, ...). */
export const historyItemSchema = z.object({
  node_id: z.string(),
  class_type: z.string().optional(),
  kind: z.string(),
  value: z.unknown(),
});
export type HistoryItem = z.infer<typeof historyItemSchema>;

/** Sanitized history of one prompt: secrets and client ids never leave the server. */
export const historySummarySchema = z.object({
  prompt_id: z.string(),
  status: jobStatusSchema,
  /** 0..100; 100 once the run has finished. */
  progress: z.number().min(0).max(100),
  images: z.array(imageRefSchema),
  items: z.array(historyItemSchema),
  workflow: z.record(z.string(), z.unknown()).optional(),
  messages: z.array(z.object({ event: z.string(), timestamp: z.number().optional() })).optional(),
});
export type HistorySummary = z.infer<typeof historySummarySchema>;

/**
 * One queue entry. The caller's own prompts (admins: all) come in full; other users' only as a
 * position, without an id.
 */
export const queueItemSchema = z.object({
  prompt_id: z.string().optional(),
  number: z.number().optional(),
  position: z.int().nonnegative(),
  /** True when the prompt was queued through this gateway. */
  ours: z.boolean(),
  /** True when the caller queued it. */
  mine: z.boolean(),
  /** Admins only: who queued it (null: another program, straight on ComfyUI). */
  owner_id: z.int().nullable().optional(),
  /** With several servers: the one it was sent to (absent while in the gateway queue). */
  backend: z.string().optional(),
  /** With several servers: the job's priority (own jobs and admins). */
  priority: z.int().optional(),
});
export const queueStateSchema = z.object({
  running: z.array(queueItemSchema),
  pending: z.array(queueItemSchema),
});
export type QueueItem = z.infer<typeof queueItemSchema>;
export type QueueState = z.infer<typeof queueStateSchema>;
