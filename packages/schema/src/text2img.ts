import * as z from 'zod';

export const MAX_SEED = Number.MAX_SAFE_INTEGER;

const text2ImgFields = {
  caption: z.string().trim().min(1, 'caption must not be empty').max(10_000),
  negative: z.string().max(10_000).optional(),
  width: z.int().min(64).max(4096).default(1024),
  height: z.int().min(64).max(4096).default(1024),
  steps: z.int().min(1).max(150).default(20),
  cfg: z.number().min(0.1).max(20).default(7),
  /** Absent means a random seed chosen by the server and returned in the response. */
  seed: z.int().min(0).max(MAX_SEED).optional(),
  checkpoint: z.string().min(1).optional(),
  sampler: z.string().min(1).optional(),
  scheduler: z.string().min(1).optional(),
  loras: z.array(z.string().min(1)).max(16).optional(),
  lora_weights: z.array(z.number().min(-100).max(100)).max(16).optional(),
  pag: z.boolean().default(false),
  pag_scale: z.number().min(0).max(100).optional(),
  deepshrink: z.boolean().default(false),
  detail_daemon: z.boolean().default(false),
  detail_amount: z.number().min(-5).max(5).optional(),
  split_sigmas: z.boolean().default(false),
  split_step: z.int().min(1).max(149).optional(),
  preset: z.string().min(1).optional(),
  batch_size: z.int().min(1).max(16).default(1),
};

/** Parameters of a text-to-image run, defaults applied; bounds from the seed spec. */
export const text2ImgParamsSchema = z.object(text2ImgFields).superRefine((p, ctx) => {
  const weights = p.lora_weights ?? [];
  if (weights.length > 0 && weights.length !== (p.loras ?? []).length) {
    ctx.addIssue({
      code: 'custom',
      path: ['lora_weights'],
      message: `lora_weights must have one weight per lora (${(p.loras ?? []).length} loras, ${weights.length} weights)`,
    });
  }
  if (p.split_step !== undefined && p.split_step >= p.steps) {
    ctx.addIssue({ code: 'custom', path: ['split_step'], message: 'split_step must be less than steps' });
  }
});
export type Text2ImgParams = z.infer<typeof text2ImgParamsSchema>;

type WithoutDefault<T> = T extends z.ZodDefault<infer Inner> ? z.ZodOptional<Inner> : T;

/** The same fields, each default turned into "optional" (a preset's default may fill it instead). */
function withoutDefaults<S extends Record<string, z.ZodType>>(
  shape: S,
): { [K in keyof S]: WithoutDefault<S[K]> } {
  return Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [
      key,
      field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType).optional() : field,
    ]),
  ) as { [K in keyof S]: WithoutDefault<S[K]> };
}

/**
 * What a caller sends to text2img: every field but `caption` optional (the preset's defaults, then
 * the schema's, fill them), unknown keys rejected. `text2ImgParamsSchema` validates after merging.
 */
export const text2ImgInputSchema = z.strictObject(withoutDefaults(text2ImgFields));
export type Text2ImgInput = z.input<typeof text2ImgInputSchema>;
