import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../init.ts';

export const presetsRouter = {
  list: authedProcedure.query(({ ctx }) => ctx.services.presets.list()),
} satisfies TRPCRouterRecord;
