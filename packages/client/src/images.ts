import type { ImageRef } from '@comfy-gateway/schema';
import { GatewayClientError } from './errors.ts';
import type { Http } from './http.ts';

/** An image being downloaded through `GET /api/comfy/view`. */
export interface ImageDownload {
  body: ReadableStream<Uint8Array>;
  /** `image/png` unless the server says otherwise. */
  contentType: string;
  /** Bytes announced by the server, or null when it streams without a length. */
  contentLength: number | null;
  filename: string;
}

/** Opens `/view` for an image reference; the caller consumes or cancels `body`. */
export async function openImage(
  http: Http,
  ref: ImageRef | Pick<ImageRef, 'filename'>,
  signal?: AbortSignal,
): Promise<ImageDownload> {
  const full: Partial<ImageRef> = ref;
  const res = await http.request('GET', '/api/comfy/view', {
    query: { filename: ref.filename, subfolder: full.subfolder || undefined, type: full.type },
    signal,
  });
  if (!res.body)
    throw new GatewayClientError({
      status: res.status,
      code: 'BAD_RESPONSE',
      message: 'image response has no body',
    });
  const length = res.headers.get('content-length');
  return {
    body: res.body,
    contentType: res.headers.get('content-type') ?? 'image/png',
    contentLength: length === null ? null : Number(length),
    filename: ref.filename,
  };
}
