import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { GatewayError, fieldError } from '../errors.ts';
import type { GalleryService } from './gallery-service.ts';
import type { StagedUpload } from './stage-upload.ts';

/** Cap per text field: workflows are JSON and can be large, but not unbounded. */
export const MAX_FIELD_BYTES = 4 * 1024 * 1024;
// Multipart framing and text fields on top of the file; past this, refuse before reading.
const OVERHEAD_BYTES = 3 * MAX_FIELD_BYTES;

export interface MultipartUpload {
  staged: StagedUpload;
  originalName: string | null;
  fields: Record<string, string>;
}

/**
 * Reads a multipart ingest: the `file` part is streamed to the temp dir as it arrives, text
 * fields are buffered (they may come before or after the file). Rejects with 400/413 naming the
 * field; a client that disconnects leaves nothing behind.
 */
export function readMultipartUpload(
  req: IncomingMessage,
  gallery: GalleryService,
  maxBytes: number,
): Promise<MultipartUpload> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + OVERHEAD_BYTES) {
    return Promise.reject(
      new GatewayError('PAYLOAD_TOO_LARGE', `file: larger than ${maxBytes} bytes`, { max_bytes: maxBytes }),
    );
  }
  return new Promise<MultipartUpload>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: maxBytes + 1, files: 4, fields: 20, parts: 30, fieldSize: MAX_FIELD_BYTES },
      });
    } catch (err) {
      reject(fieldError('body', err instanceof Error ? err.message : 'malformed multipart body'));
      return;
    }
    const fields: Record<string, string> = {};
    let staging: Promise<StagedUpload> | null = null;
    let originalName: string | null = null;
    let problem: GatewayError | null = null;
    let done = false;

    const finish = async (err: unknown) => {
      if (done) return;
      done = true;
      req.unpipe(bb);
      const staged = staging ? await staging.catch((e: unknown) => e) : null;
      const failure = err ?? (staged instanceof Error ? staged : problem);
      if (failure) {
        if (staged && !(staged instanceof Error)) await gallery.discard(staged as StagedUpload);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the stream's own error, passed on as it came
        reject(failure);
      } else if (!staged) reject(fieldError('file', 'a file part named "file" is required'));
      else resolve({ staged: staged as StagedUpload, originalName, fields });
    };

    bb.on('file', (name, file, info) => {
      if (name !== 'file' || staging) {
        if (name === 'file') problem ??= fieldError('file', 'only one file may be sent');
        file.resume();
        return;
      }
      originalName = info.filename ? info.filename.slice(0, 255) : null;
      staging = gallery.stage(file, { drainOnError: true });
      // Observed here so a failure is never an unhandled rejection; `finish` reports it.
      staging.catch(() => undefined);
    });
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        problem ??= new GatewayError('PAYLOAD_TOO_LARGE', `${name}: larger than ${MAX_FIELD_BYTES} bytes`);
        return;
      }
      fields[name] = value;
    });
    const limit = (what: string) => () => (problem ??= fieldError('body', `too many ${what}`));
    bb.on('partsLimit', limit('parts'));
    bb.on('filesLimit', limit('files'));
    bb.on('fieldsLimit', limit('fields'));
    bb.on('close', () => void finish(null));
    bb.on(
      'error',
      (err) => void finish(fieldError('body', `malformed multipart body (${(err as Error).message})`)),
    );
    req.on('close', () => {
      // The socket went away mid-body: fail the part stream so its temp file is removed.
      if (!req.complete) bb.destroy(new Error('client disconnected during upload'));
    });
    req.pipe(bb);
  });
}
