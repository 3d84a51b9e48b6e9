import { galleryListInputSchema } from '@comfy-gateway/schema';
import { Router } from 'express';
import * as z from 'zod';
import { parseOrThrow } from '../errors.ts';
import type { GalleryService } from './gallery-service.ts';

const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'not a gallery id') });

/** `/api/gallery`: list (cursor paging), detail with sidecar, file bytes, delete. Needs a user. */
export function galleryRoutes(gallery: GalleryService): Router {
  const r = Router();
  r.get('/', (req, res) => {
    res.json(
      gallery.list(
        parseOrThrow(galleryListInputSchema, { ...req.query, limit: numberOr(req.query['limit']) }),
      ),
    );
  });
  r.get('/:id', async (req, res) => {
    res.json(await gallery.get(parseOrThrow(idParams, req.params).id));
  });
  r.get('/:id/file', async (req, res) => {
    const file = await gallery.openFile(parseOrThrow(idParams, req.params).id);
    const etag = `"${file.hash}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    if (req.get('if-none-match') === etag) {
      file.stream.destroy();
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', file.mime);
    res.setHeader('Content-Length', String(file.size));
    res.setHeader('Content-Disposition', `inline; filename="${file.name}"`);
    file.stream.on('error', (err) => res.destroy(err));
    file.stream.pipe(res);
  });
  r.delete('/:id', async (req, res) => {
    await gallery.remove(parseOrThrow(idParams, req.params).id);
    res.status(204).end();
  });
  return r;
}

/** Query strings are text; the schema wants a number when a limit is given. */
function numberOr(v: unknown): unknown {
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
}
