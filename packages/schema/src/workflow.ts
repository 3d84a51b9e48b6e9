import * as z from 'zod';

/** One node of an API-format graph: `{ class_type, inputs, _meta? }`. */
export const workflowNodeSchema = z.looseObject({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
export type WorkflowNode = z.infer<typeof workflowNodeSchema>;

/** An API-format graph keyed by node id; links are `[source_id, output_index]`. */
export const workflowSchema = z
  .record(z.string().min(1), workflowNodeSchema)
  .refine((w) => Object.keys(w).length > 0, 'workflow must have at least one node');
export type Workflow = z.infer<typeof workflowSchema>;

export const clientIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, 'client_id may hold letters, digits, "_", "." and "-" only');

export const comfyQueueRequestSchema = z.object({
  workflow: workflowSchema,
  client_id: clientIdSchema.optional(),
  /** Admins only: higher runs first (users submit at 0); with several servers, the gateway queue's order. */
  priority: z.int().min(-100).max(100).optional(),
});
export type ComfyQueueRequest = z.infer<typeof comfyQueueRequestSchema>;

export const comfyQueueResponseSchema = z.object({
  prompt_id: z.string(),
  client_id: z.string(),
});
export type ComfyQueueResponse = z.infer<typeof comfyQueueResponseSchema>;

export const comfyText2ImgResponseSchema = comfyQueueResponseSchema.extend({
  seed: z.int(),
  workflow_source: z.enum(['builtin', 'preset']),
  preset: z.string().optional(),
});
export type ComfyText2ImgResponse = z.infer<typeof comfyText2ImgResponseSchema>;
