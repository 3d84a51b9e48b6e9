import type { User } from '@comfy-gateway/schema';
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors.ts';
import type { AuthService } from './auth-service.ts';
import { extractCredentials, isForeignOriginWrite } from './credentials.ts';

/**
 * Requires an active user: no/bad credentials 401 (with `WWW-Authenticate: Bearer`), a
 * deactivated user 403, a cookie-authenticated write from a foreign Origin 403.
 */
export function requireUser(auth: AuthService): RequestHandler {
  return (req, _res, next) => {
    const creds = extractCredentials(req);
    if (!creds) return next(new GatewayError('UNAUTHORIZED', 'authentication required'));
    if (creds.via === 'cookie' && isForeignOriginWrite(req, req.get('host'))) {
      return next(new GatewayError('FORBIDDEN', 'cross-origin request with a session cookie refused'));
    }
    const user = auth.authenticate(creds.token);
    if (!user) return next(new GatewayError('UNAUTHORIZED', 'invalid or expired token'));
    if (!user.active) return next(new GatewayError('FORBIDDEN', 'account is deactivated'));
    req.user = user;
    req.authVia = creds.via;
    next();
  };
}

/** After `requireUser`: only admins pass (403 otherwise). */
export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    next(req.user?.role === 'admin' ? undefined : new GatewayError('FORBIDDEN', 'admin role required'));
  };
}

/** The authenticated user of a request past `requireUser`; a wiring mistake if absent. */
export function currentUser(req: { user?: User | undefined }): User {
  if (!req.user) throw new GatewayError('INTERNAL', 'route is missing requireUser');
  return req.user;
}
