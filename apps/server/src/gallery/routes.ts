import { pipeline } from 'node:stream/promises';
import { galleryListInputSchema } from '@comfy-gateway/schema';
import { Router } from 'express';
import * as z from 'zod';
import { currentUser } from '../auth/middleware.ts';
import { parseOrThrow } from '../errors.ts';
import { setServedFileHeaders } from '../http/served-file.ts';
import type { GalleryService } from './gallery-service.ts';

const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'not a gallery id') });

/**
 * `/api/gallery`: list (cursor paging; admins may pass `?user=<id>|all`), detail with sidecar, file
 * bytes, delete. Needs a user; items of others answer 404 like unknown ids (admins see all).
 */
export function galleryRoutes(gallery: GalleryService): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const query = { ...req.query, limit: numberOr(req.query['limit']), user: numberOr(req.query['user']) };
    res.json(await gallery.list(parseOrThrow(galleryListInputSchema, query), currentUser(req)));
  });
  r.get('/:id', async (req, res) => {
    res.json(await gallery.get(parseOrThrow(idParams, req.params).id, currentUser(req)));
  });
  r.get('/:id/file', async (req, res) => {
    const file = await gallery.fileOf(parseOrThrow(idParams, req.params).id, currentUser(req));
    const etag = `"${file.hash}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    setServedFileHeaders(res, { filename: file.name, contentType: file.mime });
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Length', String(file.size));
    // pipeline, not pipe: a client that leaves mid-file must close the file too.
    await pipeline(file.open(), res).catch(() => undefined);
  });
  r.delete('/:id', async (req, res) => {
    await gallery.remove(parseOrThrow(idParams, req.params).id, currentUser(req));
    res.status(204).end();
  });
  return r;
}

/** Query strings are text; the schema wants a number when a limit or user id is given. */
function numberOr(v: unknown): unknown {
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
}
