import { gatewayFor } from '$lib/api/gateway.ts';
import { settle } from '$lib/api/settle.ts';
import type { PageLoad } from './$types';

/** Reloaded through `invalidate(TOKENS)` after a token is created or revoked. */
export const TOKENS = 'app:tokens';

export const load: PageLoad = async ({ fetch, depends }) => {
  depends(TOKENS);
  return { tokens: await settle(gatewayFor(fetch).listTokens()) };
};
