import {
  comfyQueueRequestSchema,
  ingestFromComfyInputSchema,
  jobListQuerySchema,
  jobPrioritySchema,
  promptIdSchema,
  text2ImgInputSchema,
} from '@comfy-gateway/schema';
import type { TRPCRouterRecord } from '@trpc/server';
import * as z from 'zod';
import { adminProcedure, authedProcedure } from '../init.ts';
import { statusEvents } from './status-events.ts';

const promptInput = z.object({ prompt_id: promptIdSchema });
const refreshInput = z
  .object({ refresh: z.boolean().optional(), backend: z.string().min(1).max(64).optional() })
  .optional();
const withKey = { idempotency_key: z.string().min(1).max(200).optional() };

/** The ComfyUI integration over tRPC: the same service calls as `/api/comfy`. */
export const comfyRouter = {
  health: authedProcedure.query(({ ctx }) => ctx.services.comfy.health(ctx.user)),
  /** Admins: stop sending new jobs to a server (running ones finish). */
  drain: adminProcedure
    .input(z.object({ name: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => ctx.services.comfy.drain(input.name)),
  resume: adminProcedure
    .input(z.object({ name: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => ctx.services.comfy.resume(input.name)),
  /** Admins: a job's priority (higher runs first), also after submit. */
  setPriority: adminProcedure
    .input(promptInput.extend({ priority: jobPrioritySchema }))
    .mutation(({ ctx, input }) => ctx.services.comfy.setPriority(input.prompt_id, input.priority, ctx.user)),
  queue: authedProcedure
    .input(comfyQueueRequestSchema.extend(withKey))
    .mutation(({ ctx, input: { idempotency_key, ...body } }) =>
      ctx.services.comfy.queue(body, { user: ctx.user, idempotencyKey: idempotency_key }),
    ),
  text2img: authedProcedure
    // Defaults are left to the service: a preset's come before the schema's (same errors as REST).
    .input(text2ImgInputSchema.extend(withKey))
    .mutation(({ ctx, input: { idempotency_key, ...params } }) =>
      ctx.services.comfy.text2img(params, { user: ctx.user, idempotencyKey: idempotency_key }),
    ),
  status: authedProcedure
    .input(promptInput)
    .query(({ ctx, input }) => ctx.services.comfy.status(input.prompt_id, ctx.user)),
  history: authedProcedure
    .input(promptInput)
    .query(({ ctx, input }) => ctx.services.comfy.history(input.prompt_id, ctx.user)),
  cancel: authedProcedure
    .input(promptInput)
    .mutation(({ ctx, input }) => ctx.services.comfy.cancel(input.prompt_id, ctx.user)),
  queueState: authedProcedure.query(({ ctx }) => ctx.services.comfy.queueState(ctx.user)),
  jobs: {
    list: authedProcedure
      .input(jobListQuerySchema)
      .query(({ ctx, input }) => ctx.services.comfy.jobs.list(input, ctx.user)),
    byId: authedProcedure
      .input(promptInput)
      .query(({ ctx, input }) => ctx.services.comfy.jobs.byId(input.prompt_id, ctx.user)),
  },
  objectInfo: authedProcedure.input(refreshInput).query(async ({ ctx, input }) => {
    const info = await ctx.services.comfy.objectInfo({
      refresh: input?.refresh ?? false,
      ...(input?.backend ? { backend: input.backend } : {}),
    });
    return { info: info.value, hash: info.hash, stale: info.stale, warning: info.warning ?? null };
  }),
  nodeInfo: authedProcedure
    .input(z.object({ node_class: z.string().min(1).max(200) }))
    .query(async ({ ctx, input }) => (await ctx.services.comfy.nodeInfo(input.node_class)).value),
  ingestFromComfy: authedProcedure
    .input(ingestFromComfyInputSchema)
    .mutation(({ ctx, input }) => ctx.services.comfy.ingestFromComfy(input, ctx.user)),

  /**
   * A prompt's events, resumable: an adapter over the tracker's `stream` (subscribed before the
   * backfill); every event is `tracked` with its id so a reconnecting client continues after it.
   */
  onStatus: authedProcedure
    .input(promptInput.extend({ lastEventId: z.string().nullish() }))
    .subscription(({ ctx, input, signal }) =>
      statusEvents({
        open: () =>
          ctx.services.comfy.openStream(input.prompt_id, ctx.user, { after: input.lastEventId, signal }),
        lastEventId: input.lastEventId,
        openSubscriber: () => ctx.services.metrics.openSubscriber('trpc'),
      }),
    ),
} satisfies TRPCRouterRecord;
