import path from 'node:path';
import { create as contentDisposition } from 'content-disposition';
import type { Response } from 'express';

/** Raster types a browser only ever draws: the only ones served inline. */
const RASTER_BY_EXT: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};
const RASTER_TYPES = new Set(Object.values(RASTER_BY_EXT));

/** The CSP of every served file: nothing loads, scripts never run, even if a browser renders it. */
export const FILE_CSP = "default-src 'none'; sandbox";

export interface ServedAs {
  contentType: string;
  disposition: string;
}

/**
 * How a stored or upstream file is served: a raster image (by name, and by type when one is known)
 * inline with its type; anything else (SVG, HTML, unknown) as an `application/octet-stream` download.
 */
export function servedAs(filename: string, contentType: string | null): ServedAs {
  const byName = RASTER_BY_EXT[path.extname(filename).toLowerCase()];
  const given = contentType?.split(';')[0]?.trim().toLowerCase() ?? null;
  const raster = byName !== undefined && (given === null || RASTER_TYPES.has(given));
  return raster
    ? { contentType: given ?? byName, disposition: dispositionOf(filename, 'inline') }
    : { contentType: 'application/octet-stream', disposition: dispositionOf(filename, 'attachment') };
}

/** RFC 6266: an ASCII `filename=` for every client, `filename*=UTF-8''` when the name is not ASCII. */
export function dispositionOf(filename: string, type: 'inline' | 'attachment'): string {
  const ascii = /^[\x20-\x7e]*$/.test(filename);
  return contentDisposition(filename, {
    type,
    fallback: ascii ? true : filename.replace(/[^\x20-\x7e]/g, '_'),
  });
}

/** Sets type, disposition, the file CSP and `nosniff`; call before anything is opened or sent. */
export function setServedFileHeaders(
  res: Response,
  file: { filename: string; contentType: string | null },
): void {
  const as = servedAs(file.filename, file.contentType);
  res.setHeader('Content-Type', as.contentType);
  res.setHeader('Content-Disposition', as.disposition);
  res.setHeader('Content-Security-Policy', FILE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}
