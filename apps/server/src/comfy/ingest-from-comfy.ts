import type { IngestFromComfyInput, IngestResult, User } from '@comfy-gateway/schema';
import type { ServerConfig } from '../env.ts';
import type { GalleryService } from '../gallery/gallery-service.ts';
import type { ComfyOps } from './service.ts';
import { parseViewParams } from './view-params.ts';

/**
 * Pulls an output image from ComfyUI into the gallery, recording the executed workflow from the
 * prompt's history as provenance.
 */
export function createIngestFromComfy(deps: {
  config: ServerConfig;
  ops: ComfyOps;
  gallery: () => GalleryService;
}) {
  return async (input: IngestFromComfyInput, user: User): Promise<IngestResult> => {
    const ref = parseViewParams({
      filename: input.filename,
      subfolder: input.subfolder ?? '',
      type: input.type ?? 'output',
    });
    const conn = deps.ops.conn();
    const entry = await conn.client.getHistory(input.prompt_id);
    const source = await deps.ops.view(ref);
    return deps.gallery().ingestStream({
      stream: source.stream,
      promptId: input.prompt_id,
      workflow: entry?.prompt.prompt ?? null,
      metadata: input.metadata ?? null,
      originalName: ref.filename,
      user: { id: user.id, email: user.email },
      source: {
        comfy_url: deps.config.app.comfy_api_url,
        ...(conn.info().version ? { comfy_version: conn.info().version ?? undefined } : {}),
        filename: ref.filename,
        subfolder: ref.subfolder,
        type: ref.type,
      },
    });
  };
}
