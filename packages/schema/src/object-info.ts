import * as z from 'zod';

/** One input spec: `[TYPE_OR_OPTIONS, config?]` (V3 combos: `["COMBO", {options}]`). */
export const nodeInputSpecSchema = z.tuple([z.union([z.string(), z.array(z.unknown())])], z.unknown());

export const nodeInfoSchema = z.looseObject({
  input: z
    .looseObject({
      required: z.record(z.string(), nodeInputSpecSchema).optional(),
      optional: z.record(z.string(), nodeInputSpecSchema).optional(),
      hidden: z.record(z.string(), z.unknown()).optional(),
    })
    .nullable()
    .optional(),
  input_order: z.record(z.string(), z.array(z.string())).nullable().optional(),
  output: z.array(z.string()).nullable().optional(),
  output_is_list: z.array(z.boolean()).nullable().optional(),
  output_name: z.array(z.string()).nullable().optional(),
  name: z.string(),
  display_name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  python_module: z.string().nullable().optional(),
  category: z.string().nullable().optional(),
  output_node: z.boolean().nullable().optional(),
});
export type NodeInfo = z.infer<typeof nodeInfoSchema>;

export const comfyObjectInfoSchema = z.record(z.string(), nodeInfoSchema);
export type ComfyObjectInfo = z.infer<typeof comfyObjectInfoSchema>;
