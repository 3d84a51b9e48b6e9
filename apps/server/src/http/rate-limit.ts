import './express-types.ts';
import type { Request, RequestHandler } from 'express';
import { GatewayError } from '../errors.ts';
import { memoryLimiters } from '../shared-state/limiter.ts';
import type { LimiterFactory } from '../shared-state/limiter.ts';

/** The error a limited request gets; the REST error handler turns `retry_after_s` into `Retry-After`. */
export function rateLimitedError(retryAfterS: number, what = 'too many requests'): GatewayError {
  return new GatewayError('RATE_LIMITED', `${what}; retry in ${retryAfterS} s`, {
    retry_after_s: retryAfterS,
  });
}

/**
 * Express middleware limiting requests per key (default: the authenticated user, else the IP).
 * Over the limit: 429 RATE_LIMITED with `Retry-After` seconds. `key` returning null skips the limit.
 * `limiters` decides where the count lives (in process, or Redis shared by every instance; a
 * limit Redis cannot check answers 503 REDIS_UNAVAILABLE).
 */
export function createRateLimiter(opts: {
  limit: number;
  windowMs: number;
  key?: (req: Request) => string | null;
  /** The limiter's name: instances sharing Redis share the count of the same name. */
  name?: string;
  limiters?: LimiterFactory;
}): RequestHandler {
  const limiter = (opts.limiters ?? memoryLimiters)(opts.name ?? 'requests', opts);
  const key = opts.key ?? ((req: Request) => (req.user ? `user:${req.user.id}` : `ip:${req.ip ?? '?'}`));
  return (req, _res, next) => {
    const k = key(req);
    if (k === null) return next();
    limiter
      .consume(k)
      .then((result) => next(result.ok ? undefined : rateLimitedError(result.retryAfterS)), next);
  };
}
