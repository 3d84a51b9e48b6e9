import {
  changePasswordInputSchema,
  createApiTokenInputSchema,
  createUserInputSchema,
  loginInputSchema,
  patchUserInputSchema,
} from '@comfy-gateway/schema';
import type { TRPCRouterRecord } from '@trpc/server';
import * as z from 'zod';
import { adminProcedure, authedProcedure, publicProcedure } from '../init.ts';

const idInput = z.object({ id: z.int().positive() });
const userTokenInput = z.object({ id: z.int().positive(), token_id: z.int().positive() });

/** Login returns a Bearer token (the cookie comes from REST `POST /api/auth/login`). */
export const authRouter = {
  login: publicProcedure
    .input(loginInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.auth.login(input.email, input.password, { clientIp: ctx.clientIp ?? undefined }),
    ),
  me: authedProcedure.query(({ ctx }) => ctx.user),
  logout: authedProcedure.mutation(async ({ ctx }) => {
    if (ctx.token) await ctx.services.auth.logout(ctx.token);
    return { ok: true as const };
  }),
  /** Revokes every other session and every API token of the user; this session stays. */
  changePassword: authedProcedure.input(changePasswordInputSchema).mutation(async ({ ctx, input }) => {
    await ctx.services.auth.changePassword(ctx.user.id, input, ctx.session ?? undefined);
    return { ok: true as const };
  }),
  tokens: {
    list: authedProcedure.query(({ ctx }) => ctx.services.auth.listTokens(ctx.user.id)),
    create: authedProcedure
      .input(createApiTokenInputSchema)
      .mutation(({ ctx, input }) => ctx.services.auth.createToken(ctx.user, input, ctx.scopes)),
    revoke: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
      await ctx.services.auth.revokeToken(ctx.user.id, input.id);
      return { ok: true as const };
    }),
  },
  users: {
    list: adminProcedure.query(({ ctx }) => ctx.services.auth.listUsers()),
    create: adminProcedure
      .input(createUserInputSchema)
      .mutation(({ ctx, input }) => ctx.services.auth.createUser(input)),
    setActive: adminProcedure
      .input(z.object({ id: z.int().positive(), active: z.boolean() }))
      .mutation(({ ctx, input }) => ctx.services.auth.setActive(input.id, input.active, ctx.user.id)),
    update: adminProcedure
      .input(z.object({ id: z.int().positive(), patch: patchUserInputSchema }))
      .mutation(({ ctx, input }) =>
        ctx.services.auth.updateUser(input.id, input.patch, ctx.user.id, ctx.session ?? undefined),
      ),
    /** Any user's API tokens (admins). */
    tokens: {
      list: adminProcedure.input(idInput).query(async ({ ctx, input }) => {
        await ctx.services.auth.requireUserExists(input.id);
        return ctx.services.auth.listTokens(input.id);
      }),
      revoke: adminProcedure.input(userTokenInput).mutation(async ({ ctx, input }) => {
        await ctx.services.auth.revokeToken(input.id, input.token_id);
        return { ok: true as const };
      }),
    },
  },
} satisfies TRPCRouterRecord;
