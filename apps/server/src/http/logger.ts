import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from '../env.ts';
import { runWithRequestContext } from './request-context.ts';

export type { Logger };

/** The JSON logger; tests pass `level: 'silent'`. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'comfy-gateway' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
      remove: true,
    },
  });
}

// Ids from clients are echoed back, so only a short safe alphabet is accepted.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: a sane incoming `X-Request-Id`, else a new uuid. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Adopts a sane `X-Request-Id` or makes a uuid, echoes it, gives the request a child logger and
 * carries the id to upstream calls.
 */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.id = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', req.id);
    req.log = logger.child({ reqId: req.id });
    // Everything downstream (including ComfyUI calls) sees the id through AsyncLocalStorage.
    runWithRequestContext({ requestId: req.id }, next);
  };
}

/** One line per finished request at debug (info for 5xx would duplicate the error handler). */
export function accessLog(): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () =>
      logAccess(req.log, { method: req.method, url: req.originalUrl, status: res.statusCode, start }),
    );
    next();
  };
}

/** The access line of a finished request (`start` from `process.hrtime.bigint()`). */
export function logAccess(
  log: Logger,
  r: { method: string | undefined; url: string | undefined; status: number; start: bigint },
): void {
  const ms = Number(process.hrtime.bigint() - r.start) / 1e6;
  log.debug({ method: r.method, url: r.url, status: r.status, ms }, 'request');
}
