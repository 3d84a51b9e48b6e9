import { redactUpstream } from '@comfy-gateway/schema';
import type { ErrorBody, User } from '@comfy-gateway/schema';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { GatewayError, toErrorResponse } from '../errors.ts';

/** What the client gets for an error: status, extra headers and the `{"error": ...}` body. */
export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/**
 * Logs an error and maps it to its answer: the table's status, `{"error": {code, message,
 * details?}}`, upstream details for admins only. Unknown errors are logged with their stack and
 * answered with a generic 500. Shared by the Express error handler and the fast lane.
 */
export function errorReply(err: unknown, ctx: { user: User | undefined; log: Logger }): ErrorReply {
  const out = toErrorResponse(err);
  if (out.internal) ctx.log.error({ err }, 'unhandled error');
  else ctx.log.debug({ code: out.body.error.code, message: out.body.error.message }, 'request failed');
  const headers = { ...out.headers };
  // Oversized or aborted uploads may still be arriving; let the client see the answer.
  if (out.status === 413) headers['Connection'] = 'close';
  return { status: out.status, headers, body: { error: redactUpstream(out.body.error, ctx.user) } };
}

/** The REST error handler (see `errorReply`); a stream that already started is cut short. */
export function errorHandler(): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const reply = errorReply(err, { user: req.user, log: req.log });
    if (res.headersSent) {
      // A stream already started; the status cannot change, so cut it short.
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
    res.status(reply.status).json(reply.body);
  };
}

/** 404 NOT_FOUND for unmatched routes under a prefix. */
export function notFound(): RequestHandler {
  return (req, _res, next) => next(new GatewayError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
}
