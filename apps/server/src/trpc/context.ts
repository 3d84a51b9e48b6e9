import type { TokenScope, User } from '@comfy-gateway/schema';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { TRPCError } from '@trpc/server';
import { extractCredentials, isForeignOriginWrite } from '../auth/credentials.ts';
import type { Services } from '../services.ts';

export interface Context {
  services: Services;
  /** The authenticated user, possibly deactivated (procedures then answer 403), or null. */
  user: User | null;
  /** The token the caller presented, so `auth.logout` can end that session. */
  token: string | null;
  /** Why the credentials were refused outright (cross-origin cookie write), else null. */
  denied: string | null;
  /** Client address, for the login rate limit. */
  clientIp: string | null;
  /** Only for a context without a token (server-side callers): its scopes; null = all its role allows. */
  scopes: readonly TokenScope[] | null;
}

/** Builds a context from already-resolved values; pure, so tests call it directly. */
export function createContextInner(opts: {
  services: Services;
  user: User | null;
  token?: string | null;
  denied?: string | null;
  clientIp?: string | null;
  scopes?: readonly TokenScope[] | null;
}): Context {
  return {
    services: opts.services,
    user: opts.user,
    token: opts.token ?? null,
    denied: opts.denied ?? null,
    clientIp: opts.clientIp ?? null,
    scopes: opts.scopes ?? null,
  };
}

/** HTTP (batch and SSE): Bearer header or session cookie; a cookie write from a foreign Origin is refused. */
export function createHttpContextFactory(services: Services) {
  return ({ req }: CreateExpressContextOptions): Context => {
    const creds = extractCredentials(req);
    if (!creds) return createContextInner({ services, user: null, clientIp: req.ip ?? null });
    if (creds.via === 'cookie' && isForeignOriginWrite(req, req.get('host'))) {
      return createContextInner({
        services,
        user: null,
        denied: 'cross-origin request with a session cookie refused',
      });
    }
    const user = services.auth.authenticate(creds.token);
    return createContextInner({ services, user, token: creds.token, clientIp: req.ip ?? null });
  };
}

/**
 * WebSocket: authenticates once per connection, from `connectionParams.token` or the upgrade
 * request's cookie/Bearer. Throwing here makes the adapter send the error and close the socket.
 */
export function createWsContextFactory(services: Services) {
  return ({ req, info }: CreateWSSContextFnOptions): Context => {
    const fromParams = info.connectionParams?.['token'];
    const token =
      typeof fromParams === 'string' && fromParams !== ''
        ? fromParams
        : (extractCredentials(req)?.token ?? null);
    if (!token) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'authentication required' });
    const user = services.auth.authenticate(token);
    if (!user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'invalid or expired token' });
    if (!user.active) throw new TRPCError({ code: 'FORBIDDEN', message: 'account is deactivated' });
    return createContextInner({ services, user, token, clientIp: req.socket.remoteAddress ?? null });
  };
}
