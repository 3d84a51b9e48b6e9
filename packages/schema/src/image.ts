import * as z from 'zod';

export const imageTypeSchema = z.enum(['output', 'input', 'temp']);
export type ImageType = z.infer<typeof imageTypeSchema>;

/** A file on a ComfyUI server, as `/view` addresses it. */
export const imageRefSchema = z.object({
  filename: z.string().min(1),
  subfolder: z.string().default(''),
  type: imageTypeSchema.default('output'),
  /** The ComfyUI server that holds the file, when the gateway fronts several. */
  backend: z.string().min(1).max(64).optional(),
});
export type ImageRef = z.infer<typeof imageRefSchema>;
