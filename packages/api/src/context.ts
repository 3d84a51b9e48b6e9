import type { GatewayError, TokenScope, User } from '@comfy-gateway/schema';
import type { Services } from './services.ts';

/** What every procedure sees; no HTTP request or response in it, so any host can build one. */
export interface Context {
  services: Services;
  /** The authenticated user, possibly deactivated (procedures then answer 403), or null. */
  user: User | null;
  /** The token the caller presented, so `auth.logout` can end that session. */
  token: string | null;
  /** Why the credentials were refused (cross-origin cookie write, bad WebSocket token), else null. */
  refused: GatewayError | null;
  /** Client address, for the login rate limit. */
  clientIp: string | null;
  /** Only for a context without a token (server-side callers): its scopes; null = all its role allows. */
  scopes: readonly TokenScope[] | null;
}

/** Builds a context from already-resolved values; pure, so tests and hosts call it directly. */
export function createContextInner(opts: {
  services: Services;
  user: User | null;
  token?: string | null;
  refused?: GatewayError | null;
  clientIp?: string | null;
  scopes?: readonly TokenScope[] | null;
}): Context {
  return {
    services: opts.services,
    user: opts.user,
    token: opts.token ?? null,
    refused: opts.refused ?? null,
    clientIp: opts.clientIp ?? null,
    scopes: opts.scopes ?? null,
  };
}
