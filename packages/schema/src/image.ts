import * as z from 'zod';

export const imageTypeSchema = z.enum(['output', 'input', 'temp']);
export type ImageType = z.infer<typeof imageTypeSchema>;

/** A file on a ComfyUI server, as `/view` addresses it. */
export const imageRefSchema = z.object({
  filename: z.string().min(1),
  subfolder: z.string().default(''),
  type: imageTypeSchema.default('output'),
});
export type ImageRef = z.infer<typeof imageRefSchema>;
