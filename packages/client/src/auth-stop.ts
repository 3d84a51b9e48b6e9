import { TRPCClientError } from '@trpc/client';
import type { TRPCLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import superjson from 'superjson';
import type { SuperJSONResult } from 'superjson';
import { GatewayClientError, fromTrpcError, isAuthError } from './errors.ts';
import type { WebSocketConstructor } from './trpc-client.ts';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The connection-level error (`id: null`) the server sends before closing a socket it refused. */
export function connectionRejection(raw: unknown): TRPCClientError<AnyRouter> | null {
  if (typeof raw !== 'string' || !raw.startsWith('{')) return null;
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(message) || message['id'] !== null || !isRecord(message['error'])) return null;
  const error = message['error'];
  const shape = 'json' in error ? superjson.deserialize(error as unknown as SuperJSONResult) : error;
  if (!isRecord(shape) || typeof shape['message'] !== 'string') return null;
  return TRPCClientError.from({ error: shape as { message: string; code: number; data?: unknown } });
}

/**
 * Wraps a WebSocket class so that a refused connection (401/403 in the server's first message)
 * reaches `onReject`; tRPC itself hides that message and reconnects forever.
 */
export function watchAuthRejections(
  Impl: WebSocketConstructor,
  onReject: (err: TRPCClientError<AnyRouter>) => void,
): WebSocketConstructor {
  const Base = Impl as typeof WebSocket;
  return class extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (ev: MessageEvent) => {
        const err = connectionRejection(ev.data);
        if (err && isAuthError(fromTrpcError(err))) onReject(err);
      });
    }
  };
}

/**
 * A link for WebSocket subscriptions that ends them with the auth error (instead of retrying
 * forever) once the server refuses the credentials (the socket's 401/403, or a subscription's
 * 401), and then closes the socket client.
 */
export function authStopLink<TRouter extends AnyRouter>(
  closeClient: () => Promise<void>,
): { link: TRPCLink<TRouter>; fail: (err: TRPCClientError<AnyRouter>) => void } {
  const open = new Set<(err: TRPCClientError<AnyRouter>) => void>();
  const fail = (err: TRPCClientError<AnyRouter>) => {
    for (const end of [...open]) end(err);
    void closeClient().catch(() => undefined);
  };
  const link: TRPCLink<TRouter> =
    () =>
    ({ next, op }) => {
      if (op.type !== 'subscription') return next(op);
      return observable((observer) => {
        const end = (err: TRPCClientError<AnyRouter>) => {
          open.delete(end);
          observer.error(err as TRPCClientError<TRouter>);
          sub.unsubscribe();
        };
        open.add(end);
        const sub = next(op).subscribe({
          next: (value) => observer.next(value),
          error: (err) => {
            // A dead credential fails every subscription on the socket; a 403 is this procedure's own.
            const mapped = fromTrpcError(err);
            if (mapped instanceof GatewayClientError && mapped.status === 401) fail(err);
            else observer.error(err);
          },
          complete: () => observer.complete(),
        });
        return () => {
          open.delete(end);
          sub.unsubscribe();
        };
      });
    };
  return { link, fail };
}
