import type { AppRouter } from '@comfy-gateway/api';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  wsLink,
} from '@trpc/client';
import type { TRPCClient, TRPCLink } from '@trpc/client';
import superjson from 'superjson';
import { authStopLink, watchAuthRejections } from './auth-stop.ts';
import { fromTrpcError } from './errors.ts';
import type { GatewayClientError } from './errors.ts';
import { FetchEventSource } from './event-source.ts';
import { errorHookLink } from './error-hook-link.ts';
import { authHeaders, trimBaseUrl } from './http.ts';
import type { TokenSource } from './http.ts';

type BatchFetch = NonNullable<Parameters<typeof httpBatchLink>[0]['fetch']>;

/** Any WebSocket class with the browser's constructor shape (the `ws` package's fits). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

export interface GatewayTrpcOptions {
  /** Gateway origin; `''` for a page served by the gateway. */
  url: string;
  /** Bearer token; without one the browser's session cookie authenticates. */
  token?: TokenSource | undefined;
  fetch?: typeof fetch | undefined;
  /** Needed for `transport: 'ws'` where there is no global WebSocket (Node 20). */
  WebSocket?: WebSocketConstructor | undefined;
  /** How subscriptions travel: SSE over HTTP (default) or the tRPC WebSocket. */
  transport?: 'http' | 'ws' | undefined;
  /** Sees every failed call as a `GatewayClientError` (the tRPC error still reaches the caller). */
  onError?: ((err: GatewayClientError) => void) | undefined;
}

export interface GatewayTrpc {
  client: TRPCClient<AppRouter>;
  /** Closes the WebSocket, if one was opened. */
  close: () => Promise<void>;
}

async function tokenOf(token: TokenSource): Promise<string> {
  return typeof token === 'function' ? token() : token;
}

function wsUrlOf(base: string): string {
  // A same-origin page ('' base) takes its own host.
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const absolute = base === '' && page ? new URL(page).origin : base;
  return `${absolute.replace(/^http/, 'ws')}/trpc`;
}

/**
 * Runs one tRPC call and rethrows its failure as a `GatewayClientError` (same shape as REST
 * errors: status, gateway code, fields, suggestions).
 */
export async function callTrpc<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw fromTrpcError(err);
  }
}

/**
 * The links of the gateway client: queries and mutations batched over HTTP, subscriptions over
 * SSE (a fetch-based EventSource that sends the Bearer header) or over the WebSocket. Both
 * resume a dropped subscription from the last tracked event id.
 */
export function createGatewayLinks(opts: GatewayTrpcOptions): {
  links: TRPCLink<AppRouter>[];
  close: () => Promise<void>;
} {
  const base = trimBaseUrl(opts.url);
  const fetchFn = opts.fetch;
  const headers = () => authHeaders(opts.token);
  let close = async () => {};
  const prefix: TRPCLink<AppRouter>[] = [];

  let subscriptions: TRPCLink<AppRouter>;
  if (opts.transport === 'ws') {
    const WebSocketImpl = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl)
      throw new TypeError(
        "transport 'ws' needs a WebSocket class here: pass the `ws` package as `WebSocket`",
      );
    const token = opts.token;
    const stop = authStopLink<AppRouter>(() => wsClient.close());
    const wsClient = createWSClient({
      url: wsUrlOf(base),
      WebSocket: watchAuthRejections(WebSocketImpl, stop.fail) as typeof globalThis.WebSocket,
      // Sent as the first message, so the token never lands in a URL or access log.
      ...(token === undefined ? {} : { connectionParams: async () => ({ token: await tokenOf(token) }) }),
      retryDelayMs: (attempt) => Math.min(250 * 2 ** attempt, 5000),
    });
    close = () => wsClient.close();
    prefix.push(stop.link);
    subscriptions = wsLink<AppRouter>({ client: wsClient, transformer: superjson });
  } else {
    subscriptions = httpSubscriptionLink<AppRouter, typeof FetchEventSource>({
      url: `${base}/trpc`,
      transformer: superjson,
      EventSource: FetchEventSource,
      eventSourceOptions: { headers, ...(fetchFn ? { fetch: fetchFn } : {}) },
    });
  }
  const link = splitLink<AppRouter>({
    condition: (op) => op.type === 'subscription',
    true: subscriptions,
    false: httpBatchLink({
      url: `${base}/trpc`,
      transformer: superjson,
      headers,
      // tRPC's FetchEsque types `signal` as possibly undefined, which exactOptionalPropertyTypes rejects.
      ...(fetchFn ? { fetch: fetchFn as unknown as BatchFetch } : {}),
    }),
  });
  const hook = opts.onError ? [errorHookLink<AppRouter>(opts.onError)] : [];
  return { links: [...hook, ...prefix, link], close: () => close() };
}

/** The typed tRPC client for the gateway's `AppRouter` (see `createGatewayLinks`). */
export function createGatewayTrpc(opts: GatewayTrpcOptions): GatewayTrpc {
  const { links, close } = createGatewayLinks(opts);
  return { client: createTRPCClient<AppRouter>({ links }), close };
}
