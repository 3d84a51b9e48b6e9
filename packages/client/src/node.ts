import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageRef } from '@comfy-gateway/schema';
import type { GatewayRest } from './rest-client.ts';

/**
 * Streams an image from the gateway to `file` (parent folders are created) without holding it
 * in memory; returns the bytes written and the content type. Node only.
 */
export async function saveImage(
  rest: GatewayRest,
  ref: ImageRef | Pick<ImageRef, 'filename'>,
  file: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ path: string; bytes: number; contentType: string }> {
  const image = await rest.openImage(ref, opts);
  await mkdir(path.dirname(file), { recursive: true });
  const source = Readable.fromWeb(image.body);
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  // Written beside the target and renamed, so a failed download leaves no truncated image.
  const partial = `${file}.part`;
  try {
    await pipeline(source, createWriteStream(partial), opts.signal ? { signal: opts.signal } : {});
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { path: file, bytes, contentType: image.contentType };
}
