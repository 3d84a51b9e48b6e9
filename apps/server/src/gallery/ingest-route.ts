import { ingestFromComfyInputSchema } from '@comfy-gateway/schema';
import type { IngestFromComfyInput, IngestResult, User } from '@comfy-gateway/schema';
import type { Router } from 'express';
import * as z from 'zod';
import { currentUser } from '../auth/middleware.ts';
import { GatewayError, fieldError, parseOrThrow } from '../errors.ts';
import type { GalleryService, IngestMeta } from './gallery-service.ts';
import { readMultipartUpload } from './multipart.ts';

export type IngestFromComfy = (input: IngestFromComfyInput, user: User) => Promise<IngestResult>;

const promptIdSchema = z.string().trim().min(1).max(128);

/** A multipart text field holding a JSON object; a 400 naming the field otherwise. */
function jsonObjectField(fields: Record<string, string>, name: string): Record<string, unknown> | null {
  const raw = fields[name];
  if (raw === undefined || raw.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw fieldError(name, 'must be valid JSON');
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw fieldError(name, 'must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Adds `POST /ingest` to a router that already requires a user. Multipart bodies (`file`,
 * `prompt_id`, `workflow`, `metadata`) go to the gallery; JSON bodies (`{prompt_id, filename,
 * subfolder?, type?, metadata?}`) go to `ingestFromComfy`, or 503 COMFY_DISABLED without it.
 * 201 for a new item, 200 when the same bytes were already in the gallery.
 */
export function mountIngestRoute(
  router: Router,
  opts: { gallery: GalleryService; maxBytes: number; ingestFromComfy?: IngestFromComfy | undefined },
): void {
  router.post('/ingest', async (req, res) => {
    const user = currentUser(req);
    let result: IngestResult;
    if (req.is('multipart/form-data')) {
      const upload = await readMultipartUpload(req, opts.gallery, opts.maxBytes);
      try {
        const promptRaw = upload.fields['prompt_id'];
        const prompt =
          promptRaw === undefined || promptRaw.trim() === '' ? null : promptIdSchema.safeParse(promptRaw);
        if (prompt && !prompt.success)
          throw fieldError('prompt_id', prompt.error.issues[0]?.message ?? 'invalid');
        const meta: IngestMeta = {
          promptId: prompt ? prompt.data : null,
          workflow: jsonObjectField(upload.fields, 'workflow'),
          metadata: jsonObjectField(upload.fields, 'metadata'),
          originalName: upload.originalName,
          user,
        };
        result = await opts.gallery.commit(upload.staged, meta);
      } catch (err) {
        await opts.gallery.discard(upload.staged);
        throw err;
      }
    } else if (req.is('application/json')) {
      if (!opts.ingestFromComfy)
        throw new GatewayError('COMFY_DISABLED', 'ingest from ComfyUI needs the ComfyUI integration enabled');
      result = await opts.ingestFromComfy(parseOrThrow(ingestFromComfyInputSchema, req.body), user);
    } else {
      throw new GatewayError(
        'UNSUPPORTED_MEDIA_TYPE',
        'body: send multipart/form-data (upload) or application/json (ingest from ComfyUI)',
      );
    }
    res.status(result.deduplicated ? 200 : 201).json(result);
  });
}
