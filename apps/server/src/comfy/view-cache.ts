import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ImageRef } from '@comfy-gateway/schema';

export interface ViewSource {
  stream: Readable;
  contentType: string | null;
  contentLength: number | null;
  cached: boolean;
}

const MIME_BY_EXT: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/** Content type from the file name, PNG when unknown (the seed's default). */
export function mimeFor(filename: string): string {
  return MIME_BY_EXT[path.extname(filename).toLowerCase()] ?? 'image/png';
}

/**
 * On-disk cache of ComfyUI output images (`comfy_image_dir`): output files never change once
 * written, so a second view is served from disk. The first view streams through while a copy is
 * written to a temp file that is renamed into place only when complete.
 */
export function createViewCache(opts: { dir: string; baseUrl: string }) {
  // Keyed by server too, so pointing the gateway at another ComfyUI never serves stale files.
  const serverKey = createHash('sha256').update(opts.baseUrl).digest('hex').slice(0, 12);
  const fileFor = (ref: ImageRef) => path.join(opts.dir, serverKey, ref.subfolder, ref.filename);
  let seq = 0;

  return {
    async open(ref: ImageRef): Promise<ViewSource | null> {
      if (ref.type !== 'output') return null;
      const file = fileFor(ref);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return null;
      return {
        stream: createReadStream(file),
        contentType: mimeFor(ref.filename),
        contentLength: info.size,
        cached: true,
      };
    },

    /** Passes `upstream` through unchanged while copying it into the cache. */
    async tee(ref: ImageRef, upstream: Readable): Promise<Readable> {
      if (ref.type !== 'output') return upstream;
      const file = fileFor(ref);
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${++seq}.part`;
      const out = createWriteStream(tmp);
      let failed = false;
      out.on('error', () => {
        failed = true;
      });
      const copy = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          if (failed) return cb(null, chunk);
          // Respect the disk's backpressure too, so a slow disk cannot grow memory.
          if (out.write(chunk)) cb(null, chunk);
          else out.once('drain', () => cb(null, chunk));
        },
        flush(cb) {
          out.end(() => {
            if (failed) void rm(tmp, { force: true }).finally(() => cb());
            else
              void rename(tmp, file).then(
                () => cb(),
                () => cb(),
              );
          });
        },
      });
      copy.on('close', () => {
        if (!copy.writableFinished) {
          out.destroy();
          void rm(tmp, { force: true });
        }
      });
      upstream.on('error', (err) => copy.destroy(err));
      return upstream.pipe(copy);
    },
  };
}

export type ViewCache = ReturnType<typeof createViewCache>;
export { Readable };
