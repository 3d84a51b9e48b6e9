import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GatewayClientError, createComfyGatewayClient } from '@comfy-gateway/client';
import type { JobSnapshot, StreamEvent, Text2ImgInput } from '@comfy-gateway/client';
import { saveImage } from '@comfy-gateway/client/node';

export interface Text2ImgExampleOptions {
  /** Gateway origin, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** An API token (`cgt_...`), created under "API tokens" in the web UI. */
  token: string;
  /** Where the image is written. */
  outDir: string;
  caption: string;
  /** More text-to-image parameters (size, steps, seed, preset, ...). */
  params?: Omit<Text2ImgInput, 'caption'>;
  /** Where progress lines go (default: stdout). */
  log?: (line: string) => void;
}

export interface Text2ImgExampleResult {
  promptId: string;
  seed: number;
  file: string;
  bytes: number;
  galleryId: string;
  deduplicated: boolean;
}

/** One line describing an event of the job's stream, or null for events not worth a line. */
export function describeEvent(event: StreamEvent): string | null {
  switch (event.type) {
    case 'status': {
      const s: JobSnapshot = event.snapshot;
      if (s.status === 'queued')
        return `queued${s.queue_position != null ? ` (position ${s.queue_position})` : ''}`;
      const node = s.current_node?.class_type ?? s.progress?.node ?? '';
      return `${s.status} ${Math.round(s.progress?.percent ?? 0)}%${node ? ` ${node}` : ''}`;
    }
    case 'warning':
      return `warning: ${event.message}`;
    case 'error':
      return `error: ${event.message}`;
    case 'done':
      return `done: ${event.snapshot.status}`;
    default:
      return null;
  }
}

/**
 * Runs one text-to-image job through the gateway the way an outside app would: queue it,
 * follow its progress to the end, download the image, ingest it into the gallery.
 */
export async function main(opts: Text2ImgExampleOptions): Promise<Text2ImgExampleResult> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await using client = createComfyGatewayClient({ url: opts.url, token: opts.token });
  const { rest, trpc } = client;

  // The key makes a retried request (timeout, flaky network) return the same job, not a second one.
  const job = await rest.text2img(
    { ...opts.params, caption: opts.caption },
    { idempotencyKey: randomUUID() },
  );
  log(`prompt ${job.prompt_id} queued (seed ${job.seed}, ${job.workflow_source} workflow)`);

  let lastLine = '';
  const final = await rest.streamUntilDone(job.prompt_id, {
    onEvent: ({ event }) => {
      const line = describeEvent(event);
      if (line && line !== lastLine) log((lastLine = line));
    },
  });
  if (final.status !== 'completed') {
    throw new Error(
      `job ${job.prompt_id} ended ${final.status}${final.error ? `: ${final.error.message}` : ''}`,
    );
  }
  const image = final.images?.[0];
  if (!image) throw new Error(`job ${job.prompt_id} completed without an image`);

  const file = path.join(opts.outDir, `${job.prompt_id}-${path.basename(image.filename)}`);
  const saved = await saveImage(rest, image, file);
  log(`saved ${saved.bytes} bytes to ${file}`);

  const history = await rest.history(job.prompt_id);
  const item = await rest.ingest({
    file: await openAsBlob(file, { type: saved.contentType }),
    filename: image.filename,
    promptId: job.prompt_id,
    ...(history.workflow ? { workflow: history.workflow } : {}),
    metadata: { caption: opts.caption, seed: job.seed, source: 'examples/text2img' },
  });
  const detail = await trpc.gallery.byId.query({ id: item.id });
  log(`gallery id: ${item.id}${item.deduplicated ? ' (already in the gallery)' : ''} -> ${detail.path}`);
  return {
    promptId: job.prompt_id,
    seed: job.seed,
    file,
    bytes: saved.bytes,
    galleryId: item.id,
    deduplicated: item.deduplicated,
  };
}

async function cli(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      out: { type: 'string', default: 'out' },
      caption: { type: 'string' },
    },
  });
  const url = values.url ?? process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:3000';
  const token = values.token ?? process.env['GATEWAY_TOKEN'];
  const caption = values.caption ?? (positionals.join(' ') || 'a lighthouse at dusk, oil painting');
  if (!token) throw new Error('set GATEWAY_TOKEN (or --token) to an API token created in the web UI');
  await main({ url, token, outDir: path.resolve(values.out), caption });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((err: unknown) => {
    const detail =
      err instanceof GatewayClientError ? ` [${err.code}${err.status ? ` ${err.status}` : ''}]` : '';
    process.stderr.write(`text2img: ${err instanceof Error ? err.message : String(err)}${detail}\n`);
    process.exit(1);
  });
}
