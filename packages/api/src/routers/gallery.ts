import { galleryListInputSchema } from '@comfy-gateway/schema';
import type { TRPCRouterRecord } from '@trpc/server';
import * as z from 'zod';
import { authedProcedure } from '../init.ts';

const idInput = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'not a gallery id') });

/** The same service calls as `/api/gallery` (own items; admins all); uploads stay on REST (multipart). */
export const galleryRouter = {
  list: authedProcedure
    .input(galleryListInputSchema)
    .query(({ ctx, input }) => ctx.services.gallery.list(input, ctx.user)),
  byId: authedProcedure
    .input(idInput)
    .query(({ ctx, input }) => ctx.services.gallery.get(input.id, ctx.user)),
  remove: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    await ctx.services.gallery.remove(input.id, ctx.user);
    return { ok: true as const };
  }),
} satisfies TRPCRouterRecord;
