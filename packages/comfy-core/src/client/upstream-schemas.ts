import * as z from 'zod';
import { nodeInfoSchema, workflowNodeSchema } from '@comfy-gateway/schema';
import type { NodeInfo } from '@comfy-gateway/schema';
import type { ComfyQueueItem } from '../types.ts';

// Loose on purpose: newer ComfyUI versions and custom nodes add fields; only what we read is checked.

/** `POST /prompt` 200. */
export const promptResponseSchema = z.looseObject({
  prompt_id: z.string(),
  number: z.number(),
  node_errors: z.record(z.string(), z.unknown()).default({}),
});

/** `POST /prompt` 400: `{error, node_errors}`; `error` is a string on some newer errors (409). */
export const promptErrorSchema = z.looseObject({
  error: z
    .union([z.looseObject({ type: z.string().optional(), message: z.string().optional() }), z.string()])
    .optional(),
  node_errors: z.record(z.string(), z.unknown()).default({}),
});

/**
 * One queue item (and a history entry's `prompt`): `[number, prompt_id, prompt, extra_data,
 * outputs_to_execute]`; newer servers append a 6th element, older ones may stop after the prompt.
 */
export const queueItemTupleSchema = z
  .tuple(
    [
      z.number(),
      z.string().min(1),
      z.record(z.string(), workflowNodeSchema),
      z.record(z.string(), z.unknown()).optional(),
      z.array(z.union([z.string(), z.number()])).optional(),
    ],
    z.unknown(),
  )
  .transform(([number, prompt_id, prompt, extra_data = {}, outputs = []]): ComfyQueueItem => ({
    number,
    prompt_id,
    prompt,
    extra_data,
    outputs: outputs.map(String),
  }));

/** `GET /queue`: running and pending items. */
export const queueBodySchema = z.looseObject({
  queue_running: z.array(queueItemTupleSchema).default([]),
  queue_pending: z.array(queueItemTupleSchema).default([]),
});

const historyMessageSchema = z.tuple([z.string(), z.record(z.string(), z.unknown())]);

export const historyEntrySchema = z.looseObject({
  prompt: queueItemTupleSchema,
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  status: z
    .looseObject({
      status_str: z.string(),
      completed: z.boolean().default(false),
      messages: z.array(historyMessageSchema).default([]),
    })
    .optional(),
  meta: z.record(z.string(), z.unknown()).default({}),
});
export type RawHistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * `GET /history/{id}` and `GET /history?max_items=`: an object keyed by prompt id. An entry that
 * does not parse is dropped, so one odd run does not hide the rest of the page.
 */
export const historyBodySchema = z.record(z.string(), z.unknown()).transform((body) => {
  const out: Record<string, RawHistoryEntry> = {};
  for (const [id, raw] of Object.entries(body)) {
    const parsed = historyEntrySchema.safeParse(raw);
    if (parsed.success) out[id] = parsed.data;
  }
  return out;
});

export const systemStatsSchema = z.looseObject({
  system: z.looseObject({ comfyui_version: z.string().optional() }).optional(),
  devices: z.array(z.unknown()).optional(),
});
export type SystemStats = z.infer<typeof systemStatsSchema>;

export const uploadResultSchema = z.looseObject({
  name: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('input'),
});

export const featuresSchema = z.record(z.string(), z.unknown());

/** object_info keyed by class; a class that does not look like a node is dropped, not fatal. */
export const objectInfoBodySchema = z.record(z.string(), z.unknown()).transform((body) => {
  const out: Record<string, NodeInfo> = {};
  for (const [cls, raw] of Object.entries(body)) {
    const parsed = nodeInfoSchema.safeParse(raw);
    if (parsed.success) out[cls] = parsed.data;
  }
  return out;
});
