import { assertScope, requiredScope } from '@comfy-gateway/schema';
import type { User } from '@comfy-gateway/schema';
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors.ts';
import type { AuthService } from './auth-service.ts';
import { extractCredentials, isForeignOriginWrite } from './credentials.ts';
import type { Authenticated } from './session-service.ts';

/**
 * Requires an active user whose credential has the scope the method needs (`read` for GET/HEAD,
 * `generate` for writes): no/bad credentials 401 (with `WWW-Authenticate: Bearer`), a
 * deactivated user 403, a missing scope 403, a cookie-authenticated write from a foreign Origin 403.
 */
export function requireUser(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    const creds = extractCredentials(req);
    if (!creds) return next(new GatewayError('UNAUTHORIZED', 'authentication required'));
    if (creds.via === 'cookie' && isForeignOriginWrite(req, req.get('host'))) {
      return next(new GatewayError('FORBIDDEN', 'cross-origin request with a session cookie refused'));
    }
    const found = await auth.authenticateCredential(creds.token);
    if (!found) return next(new GatewayError('UNAUTHORIZED', 'invalid or expired token'));
    if (!found.user.active) return next(new GatewayError('FORBIDDEN', 'account is deactivated'));
    assertScope(found.scopes, requiredScope({ method: req.method }));
    req.user = found.user;
    req.auth = found;
    req.authVia = creds.via;
    next();
  };
}

/** After `requireUser`: only admins whose credential has the `admin` scope pass (403 otherwise). */
export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    if (req.user?.role !== 'admin') return next(new GatewayError('FORBIDDEN', 'admin role required'));
    assertScope(req.auth?.scopes ?? [], 'admin');
    next();
  };
}

/** The authenticated user of a request past `requireUser`; a wiring mistake if absent. */
export function currentUser(req: { user?: User | undefined }): User {
  if (!req.user) throw new GatewayError('INTERNAL', 'route is missing requireUser');
  return req.user;
}

/** The credential of a request past `requireUser`; a wiring mistake if absent. */
export function currentAuth(req: { auth?: Authenticated | undefined }): Authenticated {
  if (!req.auth) throw new GatewayError('INTERNAL', 'route is missing requireUser');
  return req.auth;
}
