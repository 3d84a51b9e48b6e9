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

/**
 * Adopts a sane `X-Request-Id` or makes a uuid, echoes it, gives the request a child logger and
 * carries the id to upstream calls.
 */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming !== undefined && SAFE_ID.test(incoming) ? incoming : randomUUID();
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
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      req.log.debug({ method: req.method, url: req.originalUrl, status: res.statusCode, ms }, 'request');
    });
    next();
  };
}
