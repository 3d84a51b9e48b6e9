import { gatewayFor } from '$lib/api/gateway.ts';
import { settle } from '$lib/api/settle.ts';
import type { PageLoad } from './$types';

/** One of the caller's runs, with its parameters and workflow. */
export const load: PageLoad = async ({ fetch, params, depends }) => {
  depends('app:job');
  return { job: await settle(gatewayFor(fetch).job(params.id)) };
};
