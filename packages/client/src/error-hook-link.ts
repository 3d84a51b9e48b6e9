import type { TRPCLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { GatewayClientError, fromTrpcError } from './errors.ts';

/** A link that shows every failed operation to `onError` (as a `GatewayClientError`) and passes it on. */
export function errorHookLink<TRouter extends AnyRouter>(
  onError: (err: GatewayClientError) => void,
): TRPCLink<TRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (err) => {
            const mapped = fromTrpcError(err);
            if (mapped instanceof GatewayClientError) onError(mapped);
            observer.error(err);
          },
          complete: () => observer.complete(),
        }),
      );
}
