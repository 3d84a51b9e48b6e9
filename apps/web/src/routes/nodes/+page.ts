import { settle } from '$lib/api/settle.ts';
import { createWebClient } from '$lib/api/client.ts';
import type { PageLoad } from './$types';

/** ComfyUI's object_info, from the gateway's cache. */
export const load: PageLoad = async ({ fetch }) => ({
  info: await settle(createWebClient(fetch).rest.objectInfo()),
});
