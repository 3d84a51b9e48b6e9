import { assertScope, requiredScope } from '@comfy-gateway/schema';
import type { User } from '@comfy-gateway/schema';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors.ts';
import type { AuthService } from './auth-service.ts';
import { extractCredentials, isForeignOriginWrite } from './credentials.ts';
import type { Authenticated } from './session-service.ts';

/** Who a request is, once its credentials have passed every check of `authenticateRequest`. */
export interface RequestAuth {
  auth: Authenticated;
  via: 'bearer' | 'cookie';
}

/**
 * The checks of `requireUser` on a plain request (the Express middleware and the fast lane share
 * them): no/bad credentials 401, a cookie-authenticated write from a foreign Origin 403, a
 * deactivated user 403, a missing scope for the method 403. Throws the `GatewayError`.
 */
export async function authenticateRequest(
  auth: AuthService,
  req: Pick<IncomingMessage, 'headers' | 'method'>,
): Promise<RequestAuth> {
  const creds = extractCredentials(req);
  if (!creds) throw new GatewayError('UNAUTHORIZED', 'authentication required');
  if (creds.via === 'cookie' && isForeignOriginWrite(req, req.headers.host)) {
    throw new GatewayError('FORBIDDEN', 'cross-origin request with a session cookie refused');
  }
  const found = await auth.authenticateCredential(creds.token);
  if (!found) throw new GatewayError('UNAUTHORIZED', 'invalid or expired token');
  if (!found.user.active) throw new GatewayError('FORBIDDEN', 'account is deactivated');
  assertScope(found.scopes, requiredScope({ method: req.method ?? 'GET' }));
  return { auth: found, via: creds.via };
}

/**
 * Requires an active user whose credential has the scope the method needs (`read` for GET/HEAD,
 * `generate` for writes): no/bad credentials 401 (with `WWW-Authenticate: Bearer`), a
 * deactivated user 403, a missing scope 403, a cookie-authenticated write from a foreign Origin 403.
 */
export function requireUser(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    const found = await authenticateRequest(auth, req);
    req.user = found.auth.user;
    req.auth = found.auth;
    req.authVia = found.via;
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
