import { callTrpc } from '@comfy-gateway/client';
import type { ComfyGatewayClient } from '@comfy-gateway/client';
import type {
  ApiToken,
  CreatedApiToken,
  GalleryDetail,
  GalleryList,
  Health,
  JobList,
  JobListQueryInput,
  JobRecord,
} from '@comfy-gateway/schema';
import { api, createQuietRest, createWebClient } from './client.ts';

/** The gateway's own calls (auth, tokens, gallery) over one client; ComfyUI's live in `useComfy`. */
export function createGateway(client: ComfyGatewayClient, quiet = createQuietRest()) {
  const { trpc, rest } = client;
  return {
    /** The caller's own runs, newest first (tRPC `comfy.jobs.list`). */
    listJobs: (query: JobListQueryInput): Promise<JobList> =>
      callTrpc(() => trpc.comfy.jobs.list.query(query)),
    /** One run with its workflow; 404 for another user's (tRPC `comfy.jobs.byId`). */
    job: (promptId: string): Promise<JobRecord> =>
      callTrpc(() => trpc.comfy.jobs.byId.query({ prompt_id: promptId })),

    login: (email: string, password: string) => quiet.login(email, password),
    logout: () => quiet.logout(),
    me: () => quiet.me(),

    listTokens: (): Promise<ApiToken[]> => callTrpc(() => trpc.auth.tokens.list.query()),
    createToken: (name: string, expiresInDays?: number): Promise<CreatedApiToken> =>
      callTrpc(() =>
        trpc.auth.tokens.create.mutate(expiresInDays ? { name, expires_in_days: expiresInDays } : { name }),
      ),
    revokeToken: async (id: number): Promise<void> => {
      await callTrpc(() => trpc.auth.tokens.revoke.mutate({ id }));
    },

    health: (): Promise<Health> => rest.health(),
    /** Admins: stop sending new jobs to one server of the pool (tRPC `comfy.drain`). */
    drainBackend: async (name: string): Promise<void> => {
      await callTrpc(() => trpc.comfy.drain.mutate({ name }));
    },
    /** Admins: send jobs to a drained server again (tRPC `comfy.resume`). */
    resumeBackend: async (name: string): Promise<void> => {
      await callTrpc(() => trpc.comfy.resume.mutate({ name }));
    },

    listGallery: (cursor?: string | null, limit = 24): Promise<GalleryList> =>
      callTrpc(() => trpc.gallery.list.query(cursor ? { cursor, limit } : { limit })),
    galleryItem: (id: string): Promise<GalleryDetail> => callTrpc(() => trpc.gallery.byId.query({ id })),
    galleryFileUrl: (id: string) => `/api/gallery/${encodeURIComponent(id)}/file`,
    removeGalleryItem: async (id: string): Promise<void> => {
      await callTrpc(() => trpc.gallery.remove.mutate({ id }));
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

/** The page's gateway calls. */
export const gateway = createGateway(api);

/** Gateway calls for a load function, over its `fetch`. */
export function gatewayFor(fetchImpl: typeof fetch): Gateway {
  return createGateway(createWebClient(fetchImpl), createQuietRest(fetchImpl));
}
