import { GatewayClientError, errorMessage } from '@comfy-gateway/client';

/** A load function's answer: the value, or the error a page shows in place. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: string; status: number };

/** Awaits a call for a load function: its failure becomes data instead of the error page. */
export async function settle<T>(call: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await call };
  } catch (err) {
    return {
      ok: false,
      error: errorMessage(err),
      status: err instanceof GatewayClientError ? err.status : 0,
    };
  }
}
