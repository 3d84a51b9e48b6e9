import type { AppRouter } from '@comfy-gateway/api';
import { createTRPCClient, createWSClient, TRPCClientError, wsLink } from '@trpc/client';
import type { TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { GatewayInstance } from './gateway-instance.ts';

export interface TrpcWs extends AsyncDisposable {
  client: TRPCClient<AppRouter>;
}

/** The typed tRPC client over one WebSocket to `on`, authenticated by `token` in connectionParams. */
export function connectTrpcWs(on: GatewayInstance, token: string): TrpcWs {
  const ws = createWSClient({
    url: `${on.url.replace('http', 'ws')}/trpc`,
    WebSocket: WebSocket as never,
    connectionParams: { token },
  });
  return {
    client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws, transformer: superjson })] }),
    [Symbol.asyncDispose]: () => ws.close(),
  };
}

/** The `data.code` of a rejected call (`resolved` when it did not reject). */
export async function trpcCode(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (err === null) return 'resolved';
  if (!(err instanceof TRPCClientError))
    return err instanceof Error ? `not a tRPC error: ${err.message}` : 'not a tRPC error';
  return String((err.data as { code?: string } | undefined)?.code);
}

/** The first thing an `onStatus` subscription gives: `data` (an event) or the error's code. */
export function firstOfOnStatus(client: TRPCClient<AppRouter>, promptId: string): Promise<string> {
  return new Promise((resolve) => {
    const sub = client.comfy.onStatus.subscribe(
      { prompt_id: promptId },
      {
        onData: () => {
          sub.unsubscribe();
          resolve('data');
        },
        onError: (err) => {
          sub.unsubscribe();
          resolve(String((err.data as { code?: string } | undefined)?.code));
        },
      },
    );
  });
}
