import compression from 'compression';
import type { RequestHandler } from 'express';

// Only text the browser reads benefits; SSE must flush per event and images are compressed already.
const COMPRESSIBLE = /^(application\/(json|javascript)|text\/(html|css|plain|javascript)|image\/svg\+xml)/;

/**
 * gzip for the routes whose bodies can pass compression's 1 KB threshold (lists, object_info,
 * history, `/metrics`, the UI's assets). Mounted per prefix, not app-wide: its `res.write`/`res.end`
 * wrappers cost every request even when the body stays under the threshold. `skip` leaves out
 * routes with small fixed-shape bodies.
 */
export function compressLargeBodies(opts: { skip?: (path: string) => boolean } = {}): RequestHandler {
  const compress = compression({
    filter: (req, res) =>
      COMPRESSIBLE.test(String(res.getHeader('Content-Type') ?? '')) && compression.filter(req, res),
  });
  const { skip } = opts;
  if (!skip) return compress;
  return (req, res, next) => (skip(req.path) ? next() : compress(req, res, next));
}
