import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from '@comfy-gateway/schema';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { errorReply } from './error-handler.ts';
import type { FastRoute } from './fast-routes.ts';
import { logAccess, requestIdFrom } from './logger.ts';
import { startRequestTimer } from './metrics.ts';
import type { Metrics } from './metrics.ts';
import { runWithRequestContext } from './request-context.ts';
import type { ApplySecurityHeaders } from './security-headers.ts';

/** What a fast route's handler gets: Express's own request/response objects, without its router. */
export interface LaneContext {
  req: Request;
  res: Response;
  /** The route label the request metrics get (set by the handler as Express's mounts would). */
  route: string;
  /** The authenticated caller, once known (error bodies redact upstream details for non-admins). */
  user: User | undefined;
}

export interface FastLaneDeps {
  app: Express;
  routes: readonly FastRoute[];
  metrics: Metrics;
  logger: Logger;
  securityHeaders: ApplySecurityHeaders;
}

/** Answers a request itself and returns true, or returns false and leaves it untouched. */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * A plain `node:http` front for the hot read routes: the same middleware work as Express does for
 * them (request id, security headers, metrics, access log, error answers) without the router, the
 * middleware chain and per-request logger children. Anything it does not recognise exactly (other
 * paths or methods, a body, a non-canonical spelling of a path) goes to Express unchanged.
 */
export function createFastLane(deps: FastLaneDeps): FastLane {
  const { app, routes, metrics, logger, securityHeaders } = deps;
  return (req, res) => {
    if (!isBodyless(req)) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const route of routes) {
      if (route.methods.includes(req.method ?? '')) {
        const param = route.match(path);
        if (param !== null) {
          serve(route, param, expressify(app, req, res));
          return true;
        }
      }
    }
    return false;
  };

  function serve(route: FastRoute, param: string, { req, res }: { req: Request; res: Response }): void {
    const start = process.hrtime.bigint();
    const record = startRequestTimer(metrics);
    const id = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', id);
    securityHeaders(res, req.secure);
    let log: Logger | undefined;
    const logOf = () => (log ??= logger.child({ reqId: id }));
    const ctx: LaneContext = { req, res, route: route.mount, user: undefined };
    res.on('finish', () => {
      if (logger.isLevelEnabled('debug'))
        logAccess(logOf(), { method: req.method, url: req.url, status: res.statusCode, start });
    });
    res.on('close', () => record(req.method, ctx.route, res.statusCode));
    // Upstream calls made while answering carry the request id, as in the Express path.
    // A throw and a rejection end the same way, as in an Express 5 route.
    const run = async () => route.handle(ctx, param);
    runWithRequestContext({ requestId: id }, () => {
      run().catch((err: unknown) => {
        const reply = errorReply(err, { user: ctx.user, log: logOf() });
        if (res.headersSent) return void res.destroy();
        for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
        res.status(reply.status).json(reply.body);
      });
    });
  }
}

/** A request Express would find no body in (body parsers would run on one, so it goes there). */
function isBodyless(req: IncomingMessage): boolean {
  return req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
}

/**
 * Gives the request and response Express's prototypes, as `app.handle` does before routing, so
 * `res.json` (ETag, 304, HEAD, charset), `res.status` and `req.secure` behave exactly as in routes.
 */
function expressify(
  app: Express,
  req: IncomingMessage,
  res: ServerResponse,
): { req: Request; res: Response } {
  const r = req as Request;
  const s = res as Response;
  r.res = s;
  s.req = r;
  Object.setPrototypeOf(r, app.request);
  Object.setPrototypeOf(s, app.response);
  return { req: r, res: s };
}
