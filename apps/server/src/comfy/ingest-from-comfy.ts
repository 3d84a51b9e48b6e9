import { imagesOf } from '@comfy-gateway/comfy-core';
import type { ImageRef, IngestFromComfyInput, IngestResult, User } from '@comfy-gateway/schema';
import type { ServerConfig } from '../env.ts';
import { GatewayError } from '../errors.ts';
import type { GalleryService } from '../gallery/gallery-service.ts';
import { requireJob } from '../jobs/job-access.ts';
import type { JobLedger } from '../jobs/job-ledger.ts';
import type { ComfyOps } from './service.ts';
import { parseViewParams } from './view-params.ts';

const sameFile = (a: ImageRef, b: ImageRef) =>
  a.filename === b.filename && a.subfolder === b.subfolder && a.type === b.type;

/**
 * Pulls an output image from ComfyUI into the gallery, recording the executed workflow from the
 * prompt's history as provenance. Only the prompt's owner (or an admin), only its own outputs.
 */
export function createIngestFromComfy(deps: {
  config: ServerConfig;
  ops: ComfyOps;
  ledger: JobLedger;
  gallery: () => GalleryService;
}) {
  return async (input: IngestFromComfyInput, user: User): Promise<IngestResult> => {
    const ref = parseViewParams({
      filename: input.filename,
      subfolder: input.subfolder ?? '',
      type: input.type ?? 'output',
    });
    const row = await requireJob(deps.ledger, input.prompt_id, user);
    const upstream = deps.ops.upstreamOf(row?.backend);
    const entry = await upstream.client.getHistory(input.prompt_id);
    const outputs = [
      ...(row?.images ?? []),
      ...Object.values(entry?.outputs ?? {}).flatMap((o) => imagesOf(o)),
    ];
    if (!outputs.some((o) => sameFile(o, ref)))
      throw new GatewayError('NOT_FOUND', `prompt ${input.prompt_id} has no output ${ref.filename}`);
    const source = await deps.ops.view(upstream.backend ? { ...ref, backend: upstream.backend } : ref);
    return deps.gallery().ingestStream({
      stream: source.stream,
      promptId: input.prompt_id,
      workflow: entry?.prompt.prompt ?? row?.workflow ?? null,
      metadata: input.metadata ?? null,
      originalName: ref.filename,
      user: { id: user.id, email: user.email },
      source: {
        comfy_url: upstream.url,
        ...(upstream.version ? { comfy_version: upstream.version } : {}),
        filename: ref.filename,
        subfolder: ref.subfolder,
        type: ref.type,
      },
    });
  };
}
