import { redirect } from '@sveltejs/kit';
import { safeNext } from '$lib/safe-next.ts';
import { session } from '$lib/session.svelte.ts';
import type { LayoutLoad } from './$types';

export const ssr = false;
export const prerender = false;

/** Every page but /login needs a signed-in user; the session is re-checked on each navigation. */
export const load: LayoutLoad = async ({ url, fetch }) => {
  const hadUser = session.current !== null;
  const user = await session.probe(fetch);
  if (!user && url.pathname !== '/login') {
    const q = new URLSearchParams();
    if (hadUser) q.set('expired', '1');
    const next = url.pathname + url.search;
    if (next !== '/') q.set('next', next);
    redirect(307, `/login${q.size ? `?${q}` : ''}`);
  }
  if (user && url.pathname === '/login') redirect(307, safeNext(url));
  return { user };
};
