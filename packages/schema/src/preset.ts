import * as z from 'zod';
import { workflowSchema } from './workflow.ts';

/** Where a parameter is written in a template: `[node_id, "inputs", input_name]`. */
export const presetBindingSchema = z.tuple([z.string().min(1), z.literal('inputs'), z.string().min(1)]);

const BINDABLE = [
  'caption',
  'negative',
  'width',
  'height',
  'steps',
  'cfg',
  'seed',
  'checkpoint',
  'sampler',
  'scheduler',
  'batch_size',
] as const;
/** Parameters a workflow preset may bind to one of its inputs. */
export const bindableParamSchema = z.enum(BINDABLE);
/** One of the parameters a template can bind. */
export type BindableParam = z.infer<typeof bindableParamSchema>;

/**
 * A text-to-image preset (`config/comfy/presets/<id>.json`). `defaults` fill what the caller left
 * out. Without `workflow` the built-in graph is used; with one, parameters are written at their
 * `bindings` and the graph's SaveImage is the output.
 */
export const presetSchema = z
  .object({
    name: z.string().min(1).max(100),
    description: z.string().max(2000).optional(),
    // Spelled out, not derived: text2ImgParamsSchema's own defaults would fill every field.
    defaults: z
      .object({
        negative: z.string().optional(),
        width: z.int().min(64).max(4096).optional(),
        height: z.int().min(64).max(4096).optional(),
        steps: z.int().min(1).max(150).optional(),
        cfg: z.number().min(0.1).max(20).optional(),
        checkpoint: z.string().min(1).optional(),
        sampler: z.string().min(1).optional(),
        scheduler: z.string().min(1).optional(),
        loras: z.array(z.string().min(1)).max(16).optional(),
        lora_weights: z.array(z.number().min(-100).max(100)).max(16).optional(),
        pag: z.boolean().optional(),
        pag_scale: z.number().min(0).max(100).optional(),
        deepshrink: z.boolean().optional(),
        detail_daemon: z.boolean().optional(),
        detail_amount: z.number().min(-5).max(5).optional(),
        split_sigmas: z.boolean().optional(),
        split_step: z.int().min(1).max(149).optional(),
        batch_size: z.int().min(1).max(16).optional(),
      })
      .strict()
      .optional(),
    workflow: workflowSchema.optional(),
    bindings: z.partialRecord(bindableParamSchema, presetBindingSchema).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (!p.workflow) {
      if (p.bindings)
        ctx.addIssue({ code: 'custom', path: ['bindings'], message: 'bindings need a workflow' });
      return;
    }
    if (!p.bindings?.caption)
      ctx.addIssue({
        code: 'custom',
        path: ['bindings', 'caption'],
        message: 'a workflow preset must bind caption',
      });
    for (const [param, binding] of Object.entries(p.bindings ?? {})) {
      if (binding && !p.workflow[binding[0]]) {
        ctx.addIssue({
          code: 'custom',
          path: ['bindings', param],
          message: `node ${binding[0]} is not in the workflow`,
        });
      }
    }
  });
/** A parsed preset file. */
export type Preset = z.infer<typeof presetSchema>;

/** What pickers show: a preset by id, without its graph. */
export const presetSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  defaults: z.record(z.string(), z.unknown()),
});
/** One entry of the preset list. */
export type PresetSummary = z.infer<typeof presetSummarySchema>;
