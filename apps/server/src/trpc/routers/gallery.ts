import { galleryListInputSchema } from '@comfy-gateway/schema';
import type { TRPCRouterRecord } from '@trpc/server';
import * as z from 'zod';
import { authedProcedure } from '../init.ts';

const idInput = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'not a gallery id') });

/** The same service calls as `/api/gallery`; uploads stay on REST (multipart). */
export const galleryRouter = {
  list: authedProcedure
    .input(galleryListInputSchema)
    .query(({ ctx, input }) => ctx.services.gallery.list(input)),
  byId: authedProcedure.input(idInput).query(({ ctx, input }) => ctx.services.gallery.get(input.id)),
  remove: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.services.gallery.remove(input.id);
    return { ok: true as const };
  }),
} satisfies TRPCRouterRecord;
