import { gatewayFor } from '$lib/api/gateway.ts';
import { settle } from '$lib/api/settle.ts';
import type { PageLoad } from './$types';

/** One gallery image with its provenance sidecar. */
export const load: PageLoad = async ({ fetch, params }) => ({
  item: await settle(gatewayFor(fetch).galleryItem(params.id)),
});
