import { createComfyGatewayClient, createGatewayRest } from '@comfy-gateway/client';
import type { ComfyGatewayClient, GatewayRest } from '@comfy-gateway/client';
import { reportUnauthorized } from './unauthorized.ts';

/**
 * A gateway client for this origin, authenticated by the session cookie. Load functions pass
 * their `fetch`; the page uses the one `api` below.
 */
export function createWebClient(fetchImpl?: typeof fetch): ComfyGatewayClient {
  return createComfyGatewayClient({ url: '', fetch: fetchImpl, onError: reportUnauthorized });
}

/** The browser's one client. */
export const api = createWebClient();

/** REST calls for which a 401 is an answer, not an expired session: login and the session probe. */
export function createQuietRest(fetchImpl?: typeof fetch): GatewayRest {
  return createGatewayRest({ url: '', fetch: fetchImpl });
}
