import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GatewayError, fieldError } from '../errors.ts';
import { readImageInfo } from './image-info.ts';
import type { ImageInfo } from './image-info.ts';

/** An upload written to the temp dir, hashed and type-checked, not yet in the gallery. */
export interface StagedUpload extends ImageInfo {
  tmpPath: string;
  hash: string;
  size: number;
}

export interface StageOptions {
  tmpDir: string;
  maxBytes: number;
  /**
   * Keep reading the source after a failure instead of destroying it. Busboy needs this: a
   * destroyed part stream stalls the rest of the form, and the client would never get the 413.
   */
  drainOnError?: boolean;
}

/**
 * Streams `source` to a temp file while hashing (sha256) and counting; over `maxBytes` is 413,
 * empty or not PNG/JPEG/WebP is a 400 naming `file`. On any failure the temp file is removed.
 */
export async function stageUpload(source: Readable, opts: StageOptions): Promise<StagedUpload> {
  const tmpPath = path.join(opts.tmpDir, `${randomUUID()}.upload`);
  let size = 0;
  try {
    const hash = await copyHashed(source, tmpPath, opts, (n) => (size = n));
    if (size === 0) throw fieldError('file', 'file is empty');
    const fh = await open(tmpPath, 'r');
    let info: ImageInfo | null;
    try {
      info = await readImageInfo(fh);
    } finally {
      await fh.close();
    }
    if (!info) throw fieldError('file', 'file is not a PNG, JPEG or WebP image');
    return { ...info, tmpPath, hash, size };
  } catch (err) {
    await rm(tmpPath, { force: true });
    throw err;
  }
}

function copyHashed(
  source: Readable,
  tmpPath: string,
  opts: StageOptions,
  onSize: (n: number) => void,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const hasher = createHash('sha256');
    const out = createWriteStream(tmpPath, { flags: 'wx' });
    let size = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      out.destroy();
      if (opts.drainOnError) source.resume();
      else source.destroy();
      // The temp file is removed by the caller only once the write stream has let go of it.
      out.once('close', () => reject(err));
      if (out.closed) reject(err);
    };
    source.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      onSize(size);
      if (size > opts.maxBytes) {
        fail(
          new GatewayError('PAYLOAD_TOO_LARGE', `file: larger than ${opts.maxBytes} bytes`, {
            max_bytes: opts.maxBytes,
          }),
        );
        return;
      }
      hasher.update(chunk);
      if (!out.write(chunk)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
    });
    let ended = false;
    source.once('end', () => {
      ended = true;
      if (failed) return;
      out.end(() => resolve(hasher.digest('hex')));
    });
    source.once('error', (err) => fail(err));
    source.once('close', () => {
      if (!ended) fail(new Error('upload stream closed before its end'));
    });
    out.once('error', (err) => fail(err));
    if ((source as { destroyed?: boolean }).destroyed) fail(new Error('upload stream already closed'));
  });
}
