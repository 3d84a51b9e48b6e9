import {
  TRPCClientError,
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
} from '@trpc/client';
import type { AppRouter } from '@comfy-gateway/server/router';
import superjson from 'superjson';
import { ApiError } from './errors.ts';
import { reportUnauthorized } from './http.ts';

/** The one tRPC client of the browser: batched HTTP for calls, SSE for subscriptions, cookie auth. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/trpc', transformer: superjson }),
      false: httpBatchLink({ url: '/trpc', transformer: superjson }),
    }),
  ],
});

const STATUS_OF: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * Runs one tRPC call and turns its failure into an ApiError (same shape as REST errors);
 * UNAUTHORIZED sends the user to /login.
 */
export async function rpc<T>(call: (client: typeof trpc) => Promise<T>): Promise<T> {
  try {
    return await call(trpc);
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    // The server's errorFormatter puts the gateway code in `data.code` and form errors in `data.fields`.
    const data = (err.data ?? {}) as {
      code?: string;
      httpStatus?: number;
      fields?: unknown;
      details?: unknown;
    };
    const status = data.httpStatus ?? STATUS_OF[data.code ?? ''] ?? 0;
    const details = data.fields
      ? { ...(typeof data.details === 'object' ? data.details : {}), fields: data.fields }
      : data.details;
    const apiError = new ApiError({
      status,
      code: (data.code ?? (status === 0 ? 'NETWORK_ERROR' : 'UNKNOWN')) as ApiError['code'],
      message: err.message,
      details,
    });
    if (status === 401) reportUnauthorized(apiError);
    throw apiError;
  }
}
