import type {
  ApiToken,
  CreatedApiToken,
  GalleryDetail,
  GalleryList,
  Health,
  LoginResponse,
  User,
} from '@comfy-gateway/schema';
import { query, requestJson } from './http.ts';
import { rpc } from './trpc.ts';

/** REST calls of the gateway that are not ComfyUI's (those live in `useComfy`). */
export const gateway = {
  login: (email: string, password: string) =>
    requestJson<LoginResponse>('/api/auth/login', {
      method: 'POST',
      body: { email, password },
      quiet401: true,
    }),
  logout: () => requestJson<void>('/api/auth/logout', { method: 'POST', quiet401: true }),
  me: (fetchImpl?: typeof fetch) =>
    requestJson<User>('/api/auth/me', { quiet401: true, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),

  // API tokens go through tRPC (`auth.tokens.*`), typed by the server's router.
  listTokens: (): Promise<ApiToken[]> => rpc((c) => c.auth.tokens.list.query()),
  createToken: (name: string, expiresInDays?: number): Promise<CreatedApiToken> =>
    rpc((c) =>
      c.auth.tokens.create.mutate(expiresInDays ? { name, expires_in_days: expiresInDays } : { name }),
    ),
  revokeToken: async (id: number): Promise<void> => {
    await rpc((c) => c.auth.tokens.revoke.mutate({ id }));
  },

  health: () => requestJson<Health>('/api/comfy/health'),

  listGallery: (cursor?: string | null, limit = 24) =>
    requestJson<GalleryList>(`/api/gallery${query({ cursor, limit })}`),
  galleryItem: (id: string) => requestJson<GalleryDetail>(`/api/gallery/${encodeURIComponent(id)}`),
  galleryFileUrl: (id: string) => `/api/gallery/${encodeURIComponent(id)}/file`,
  removeGalleryItem: (id: string) =>
    requestJson<void>(`/api/gallery/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};
