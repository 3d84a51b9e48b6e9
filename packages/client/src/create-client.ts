import type { AppRouter } from '@comfy-gateway/api';
import type { TRPCClient } from '@trpc/client';
import type { GatewayClientError } from './errors.ts';
import type { TokenSource } from './http.ts';
import { createGatewayRest } from './rest-client.ts';
import type { GatewayRest } from './rest-client.ts';
import { createGatewayTrpc } from './trpc-client.ts';
import type { WebSocketConstructor } from './trpc-client.ts';

export interface ComfyGatewayClientOptions {
  /** Gateway origin, e.g. `http://127.0.0.1:3000`; `''` in a page the gateway serves. */
  url: string;
  /**
   * An API token (`cgt_...`) or a session token, or a function returning the current one. Leave
   * it out in a browser page of the gateway: the session cookie authenticates then.
   */
  token?: TokenSource | undefined;
  /** Custom fetch (tests, proxies); defaults to the global one. */
  fetch?: typeof fetch | undefined;
  /** WebSocket class for `transport: 'ws'` where none is global (Node 20: the `ws` package). */
  WebSocket?: WebSocketConstructor | undefined;
  /** Transport of tRPC subscriptions: SSE (`http`, default) or the WebSocket (`ws`). */
  transport?: 'http' | 'ws' | undefined;
  /** Sees every failed REST or tRPC call (e.g. a 401 sends the user to a login page). */
  onError?: ((err: GatewayClientError) => void) | undefined;
}

export interface ComfyGatewayClient extends AsyncDisposable {
  /** The typed tRPC client (`trpc.comfy.status.query(...)`, `trpc.comfy.onStatus.subscribe(...)`). */
  trpc: TRPCClient<AppRouter>;
  /** Plain helpers over the REST/SSE shim. */
  rest: GatewayRest;
  /** Closes the tRPC WebSocket, if any; HTTP needs no cleanup. */
  close(): Promise<void>;
}

/**
 * Creates a client for one gateway: `trpc` (typed, batched, resumable subscriptions) and `rest`
 * (the `/api/comfy` shim with a reconnecting SSE reader). Both send `Authorization: Bearer`.
 */
export function createComfyGatewayClient(opts: ComfyGatewayClientOptions): ComfyGatewayClient {
  const trpc = createGatewayTrpc(opts);
  const rest = createGatewayRest({
    url: opts.url,
    token: opts.token,
    fetch: opts.fetch,
    onError: opts.onError,
  });
  return {
    trpc: trpc.client,
    rest,
    close: () => trpc.close(),
    [Symbol.asyncDispose]: () => trpc.close(),
  };
}
