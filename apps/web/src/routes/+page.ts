import { createWebClient } from '$lib/api/client.ts';
import { createGateway } from '$lib/api/gateway.ts';
import { listPresets } from '$lib/api/presets.ts';
import { settle } from '$lib/api/settle.ts';
import type { PageLoad } from './$types';

/** Node list (for the pickers), presets and, for `/?from=<gallery id>`, the image to run again. */
export const load: PageLoad = async ({ fetch, url }) => {
  const client = createWebClient(fetch);
  const from = url.searchParams.get('from');
  const [info, presets, prefill] = await Promise.all([
    settle(client.rest.objectInfo()),
    settle(listPresets(client)),
    from ? settle(createGateway(client).galleryItem(from)) : null,
  ]);
  return { info, presets: presets.ok ? presets.value : [], from, prefill };
};
