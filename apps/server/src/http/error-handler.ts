import { redactUpstream } from '@comfy-gateway/schema';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GatewayError, toErrorResponse } from '../errors.ts';

/**
 * The REST error handler: every error becomes `{"error": {code, message, details?}}` with the
 * table's status. Unknown errors are logged and answered with a generic 500; upstream details
 * reach admins only.
 */
export function errorHandler(): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const out = toErrorResponse(err);
    if (out.internal) req.log.error({ err }, 'unhandled error');
    else req.log.debug({ code: out.body.error.code, message: out.body.error.message }, 'request failed');
    if (res.headersSent) {
      // A stream already started; the status cannot change, so cut it short.
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
    // Oversized or aborted uploads may still be arriving; let the client see the answer.
    if (out.status === 413) res.setHeader('Connection', 'close');
    res.status(out.status).json({ error: redactUpstream(out.body.error, req.user) });
  };
}

/** 404 NOT_FOUND for unmatched routes under a prefix. */
export function notFound(): RequestHandler {
  return (req, _res, next) => next(new GatewayError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
}
