import { createContextInner } from '@comfy-gateway/api';
import type { Context } from '@comfy-gateway/api';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { GatewayError } from '../errors.ts';
import { extractCredentials, isForeignOriginWrite } from '../auth/credentials.ts';
import type { Services } from '../services.ts';

/** HTTP (batch and SSE): Bearer header or session cookie; a cookie write from a foreign Origin is refused. */
export function createHttpContextFactory(services: Services) {
  return async ({ req }: CreateExpressContextOptions): Promise<Context> => {
    const creds = extractCredentials(req);
    if (!creds) return createContextInner({ services, user: null, clientIp: req.ip ?? null });
    if (creds.via === 'cookie' && isForeignOriginWrite(req, req.get('host'))) {
      return createContextInner({
        services,
        user: null,
        refused: new GatewayError('FORBIDDEN', 'cross-origin request with a session cookie refused'),
      });
    }
    const user = await services.auth.authenticate(creds.token);
    return createContextInner({ services, user, token: creds.token, clientIp: req.ip ?? null });
  };
}

/**
 * WebSocket: authenticates once per connection, from `connectionParams.token` or the upgrade
 * request's cookie/Bearer. Bad credentials do not throw here: tRPC's adapter would then answer
 * with an id-less error and close, which `@trpc/client` reports as "Unknown error" and retries.
 * Instead every call on the socket is answered UNAUTHORIZED/FORBIDDEN (and `mount.ts` closes it).
 */
export function createWsContextFactory(services: Services) {
  return async ({ req, info }: CreateWSSContextFnOptions): Promise<Context> => {
    const fromParams = info.connectionParams?.['token'];
    const token =
      typeof fromParams === 'string' && fromParams !== ''
        ? fromParams
        : (extractCredentials(req)?.token ?? null);
    const clientIp = req.socket.remoteAddress ?? null;
    const refuse = (refused: GatewayError) => createContextInner({ services, user: null, refused, clientIp });
    if (!token) return refuse(new GatewayError('UNAUTHORIZED', 'authentication required'));
    const user = await services.auth.authenticate(token);
    if (!user) return refuse(new GatewayError('UNAUTHORIZED', 'invalid or expired token'));
    if (!user.active) return refuse(new GatewayError('FORBIDDEN', 'account is deactivated'));
    return createContextInner({ services, user, token, clientIp });
  };
}
