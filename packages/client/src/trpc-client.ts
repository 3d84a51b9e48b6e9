import type { AppRouter } from '@comfy-gateway/server/router';
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
import { FetchEventSource } from './event-source.ts';
import { bearer, trimBaseUrl } from './http.ts';
import type { TokenSource } from './http.ts';

/** Any WebSocket class with the browser's constructor shape (the `ws` package's fits). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

export interface GatewayTrpcOptions {
  url: string;
  token: TokenSource;
  fetch?: typeof fetch;
  /** Needed for `transport: 'ws'` where there is no global WebSocket (Node 20). */
  WebSocket?: WebSocketConstructor;
  /** How subscriptions travel: SSE over HTTP (default) or the tRPC WebSocket. */
  transport?: 'http' | 'ws';
}

export interface GatewayTrpc {
  client: TRPCClient<AppRouter>;
  /** Closes the WebSocket, if one was opened. */
  close(): Promise<void>;
}

async function tokenOf(token: TokenSource): Promise<string> {
  return typeof token === 'function' ? token() : token;
}

function wsUrlOf(base: string): string {
  return `${base.replace(/^http/, 'ws')}/trpc`;
}

/**
 * The links of the gateway client: queries and mutations batched over HTTP, subscriptions over
 * SSE (a fetch-based EventSource that sends the Bearer header) or over the WebSocket. Both
 * resume a dropped subscription from the last tracked event id.
 */
export function createGatewayLinks(opts: GatewayTrpcOptions): {
  links: TRPCLink<AppRouter>[];
  close(): Promise<void>;
} {
  const base = trimBaseUrl(opts.url);
  const fetchFn = opts.fetch;
  const headers = async () => ({ authorization: await bearer(opts.token) });
  let close = async () => {};

  let subscriptions: TRPCLink<AppRouter>;
  if (opts.transport === 'ws') {
    const WebSocketImpl = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl)
      throw new TypeError(
        "transport 'ws' needs a WebSocket class here: pass the `ws` package as `WebSocket`",
      );
    const wsClient = createWSClient({
      url: wsUrlOf(base),
      WebSocket: WebSocketImpl as typeof globalThis.WebSocket,
      // Sent as the first message, so the token never lands in a URL or access log.
      connectionParams: async () => ({ token: await tokenOf(opts.token) }),
      retryDelayMs: (attempt) => Math.min(250 * 2 ** attempt, 5000),
    });
    close = () => wsClient.close();
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
      ...(fetchFn ? { fetch: fetchFn } : {}),
    }),
  });
  return { links: [link], close: () => close() };
}

/** The typed tRPC client for the gateway's `AppRouter` (see `createGatewayLinks`). */
export function createGatewayTrpc(opts: GatewayTrpcOptions): GatewayTrpc {
  const { links, close } = createGatewayLinks(opts);
  return { client: createTRPCClient<AppRouter>({ links }), close };
}
