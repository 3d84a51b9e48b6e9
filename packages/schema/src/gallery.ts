import * as z from 'zod';
import { imageTypeSchema } from './image.ts';
import { promptIdSchema } from './job.ts';

export const imageMimeSchema = z.enum(['image/png', 'image/jpeg', 'image/webp']);

/** Provenance written beside every gallery file (`comfy_<hash16>.json`). */
export const gallerySidecarSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  prompt_id: z.string().nullable(),
  workflow: z.record(z.string(), z.unknown()).nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  file: z.object({
    name: z.string(),
    path: z.string(),
    size: z.int().nonnegative(),
    mime: imageMimeSchema,
    width: z.int().nullable(),
    height: z.int().nullable(),
    original_name: z.string().nullable(),
  }),
  ingested_by: z.object({ user_id: z.int(), email: z.string() }),
  ingested_at: z.string(),
  source: z
    .object({
      comfy_url: z.string().optional(),
      comfy_version: z.string().optional(),
      filename: z.string().optional(),
      subfolder: z.string().optional(),
      type: imageTypeSchema.optional(),
    })
    .nullable(),
});
export type GallerySidecar = z.infer<typeof gallerySidecarSchema>;

export const galleryItemSchema = z.object({
  id: z.string(),
  hash: z.string(),
  prompt_id: z.string().nullable(),
  path: z.string(),
  sidecar_path: z.string(),
  mime: imageMimeSchema,
  size: z.int(),
  width: z.int().nullable(),
  height: z.int().nullable(),
  created_at: z.string(),
  caption: z.string().nullable(),
});
export type GalleryItem = z.infer<typeof galleryItemSchema>;

export const ingestResultSchema = galleryItemSchema.extend({ deduplicated: z.boolean() });
export type IngestResult = z.infer<typeof ingestResultSchema>;

/** Ingest straight from ComfyUI: the server pulls the bytes and the executed workflow. */
export const ingestFromComfyInputSchema = z.object({
  // Goes into ComfyUI's `/history/{id}`: only what can be a prompt id.
  prompt_id: promptIdSchema,
  filename: z.string().min(1).max(255),
  subfolder: z.string().max(255).optional(),
  type: imageTypeSchema.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type IngestFromComfyInput = z.infer<typeof ingestFromComfyInputSchema>;

/** Whose items to list: a user id or `all`; only admins may name anyone but themselves. */
export const galleryUserFilterSchema = z.union([
  z.literal('all'),
  z.int('must be a user id or "all"').positive('must be a user id or "all"'),
]);
export type GalleryUserFilter = z.infer<typeof galleryUserFilterSchema>;

export const galleryListInputSchema = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.int().min(1).max(200).default(50),
  user: galleryUserFilterSchema.optional(),
});
export const galleryListSchema = z.object({
  items: z.array(galleryItemSchema),
  next_cursor: z.string().nullable(),
});
export type GalleryList = z.infer<typeof galleryListSchema>;
export const galleryDetailSchema = galleryItemSchema.extend({ sidecar: gallerySidecarSchema });
export type GalleryDetail = z.infer<typeof galleryDetailSchema>;
