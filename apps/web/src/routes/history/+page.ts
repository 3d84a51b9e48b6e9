import { gatewayFor } from '$lib/api/gateway.ts';
import { settle } from '$lib/api/settle.ts';
import { parseJobFilters } from '$lib/history/filters.ts';
import type { PageLoad } from './$types';

export const PAGE_SIZE = 24;

/** The first page of the caller's runs under the URL's filters; later pages load as the user scrolls. */
export const load: PageLoad = async ({ fetch, url }) => {
  const filters = parseJobFilters(url.searchParams);
  return {
    filters,
    first: await settle(gatewayFor(fetch).listJobs({ ...filters, limit: PAGE_SIZE })),
  };
};
