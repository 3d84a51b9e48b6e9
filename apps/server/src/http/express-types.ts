import type { Logger } from 'pino';
import type { User } from '@comfy-gateway/schema';
import type { Authenticated } from '../auth/session-service.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the request-id middleware. */
      id: string;
      /** Child logger carrying `reqId`. */
      log: Logger;
      /** Set by `requireUser`; always an active user past that middleware. */
      user?: User;
      /** Mount path of the router that handled the request (metrics labels). */
      mountPath?: string;
      /** How the credentials arrived; cookie requests get the Origin check. */
      authVia?: 'bearer' | 'cookie';
      /** Set by `requireUser`: the credential, its scopes and its registry key. */
      auth?: Authenticated;
    }
  }
}

export {};
