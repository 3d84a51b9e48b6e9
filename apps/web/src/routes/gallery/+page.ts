import { gatewayFor } from '$lib/api/gateway.ts';
import { settle } from '$lib/api/settle.ts';
import type { PageLoad } from './$types';

export const PAGE_SIZE = 24;

/** The first page of the gallery; later pages load as the user scrolls. */
export const load: PageLoad = async ({ fetch }) => ({
  first: await settle(gatewayFor(fetch).listGallery(null, PAGE_SIZE)),
});
