import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { MAX_UPLOAD_BYTES } from '../state.ts';
import { HttpError } from './respond.ts';

export interface Multipart {
  fields: Record<string, string>;
  file?: { filename: string; data: Buffer };
}

const tooBig = (size: number) =>
  new HttpError(413, `Maximum request body size ${MAX_UPLOAD_BYTES} exceeded, actual body size ${size}`);

/** Reads a multipart body into memory (like aiohttp's request.post()), keeping the `fileField` part. */
export async function readMultipart(req: IncomingMessage, fileField: string): Promise<Multipart> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_UPLOAD_BYTES) throw tooBig(declared);
  let bb: busboy.Busboy;
  try {
    // preservePath: aiohttp keeps the filename as sent, so '../x.png' reaches the escape check.
    bb = busboy({ headers: req.headers, preservePath: true, limits: { fileSize: MAX_UPLOAD_BYTES } });
  } catch {
    // Not multipart: the form simply has no file.
    req.resume();
    return { fields: {} };
  }
  const out: Multipart = { fields: {} };
  let total = 0;
  return new Promise<Multipart>((resolve, reject) => {
    bb.on('field', (name, value) => {
      out.fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        total += c.length;
        if (name === fileField) chunks.push(c);
      });
      stream.on('limit', () => reject(tooBig(total)));
      stream.on('end', () => {
        if (name === fileField && !out.file)
          out.file = { filename: info.filename ?? '', data: Buffer.concat(chunks) };
      });
    });
    bb.on('error', () => reject(new HttpError(400)));
    bb.on('close', () => resolve(out));
    req.pipe(bb);
  });
}
