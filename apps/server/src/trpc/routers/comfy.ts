import type { TrackedEvent } from '@comfy-gateway/comfy-core';
import {
  comfyQueueRequestSchema,
  ingestFromComfyInputSchema,
  isFinalJobStatus,
  text2ImgInputSchema,
} from '@comfy-gateway/schema';
import type { StreamEvent } from '@comfy-gateway/schema';
import type { TRPCRouterRecord } from '@trpc/server';
import { tracked } from '@trpc/server';
import * as z from 'zod';
import { authedProcedure } from '../init.ts';
import { openSubscriber } from '../../comfy/subscriber-count.ts';

const promptInput = z.object({ prompt_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'not a prompt id') });
const refreshInput = z.object({ refresh: z.boolean().optional() }).optional();
const withKey = { idempotency_key: z.string().min(1).max(200).optional() };

/** The ComfyUI integration over tRPC: the same service calls as `/api/comfy`. */
export const comfyRouter = {
  health: authedProcedure.query(({ ctx }) => ctx.services.comfy.health()),
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
    .query(({ ctx, input }) => ctx.services.comfy.status(input.prompt_id)),
  history: authedProcedure
    .input(promptInput)
    .query(({ ctx, input }) => ctx.services.comfy.history(input.prompt_id)),
  cancel: authedProcedure
    .input(promptInput)
    .mutation(({ ctx, input }) => ctx.services.comfy.cancel(input.prompt_id)),
  queueState: authedProcedure.query(({ ctx }) => ctx.services.comfy.queueState()),
  objectInfo: authedProcedure.input(refreshInput).query(async ({ ctx, input }) => {
    const info = await ctx.services.comfy.objectInfo({ refresh: input?.refresh ?? false });
    return { info: info.value, hash: info.hash, stale: info.stale, warning: info.warning ?? null };
  }),
  nodeInfo: authedProcedure
    .input(z.object({ node_class: z.string().min(1).max(200) }))
    .query(async ({ ctx, input }) => (await ctx.services.comfy.nodeInfo(input.node_class)).value),
  ingestFromComfy: authedProcedure
    .input(ingestFromComfyInputSchema)
    .mutation(({ ctx, input }) => ctx.services.comfy.ingestFromComfy(input, ctx.user)),

  /**
   * A prompt's events, resumable: the listener is attached before the backfill, and every event
   * is `tracked` with its id so a reconnecting client continues after the last one it saw.
   */
  onStatus: authedProcedure
    .input(promptInput.extend({ lastEventId: z.string().nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const comfy = ctx.services.comfy;
      await comfy.status(input.prompt_id);
      const tracker = comfy.conn().tracker;
      const pending: TrackedEvent[] = [];
      let wake: (() => void) | null = null;
      const release = openSubscriber('trpc');
      const unsubscribe = tracker.subscribe(input.prompt_id, (e) => {
        pending.push(e);
        wake?.();
      });
      // One abort listener for the whole subscription (one per wait leaked a listener per event).
      const onAbort = () => wake?.();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        let last = Number(input.lastEventId ?? 0) || 0;
        pending.unshift(...tracker.eventsSince(input.prompt_id, String(last)));
        while (!signal?.aborted) {
          const e = pending.shift();
          if (!e) {
            const snap = tracker.get(input.prompt_id);
            if (!snap || isFinalJobStatus(snap.status)) return;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          // Previews are lossy and unnumbered: SSE (`?previews=1`) carries them, this stays resumable.
          if (e.id === '') continue;
          if (Number(e.id) <= last) continue;
          last = Number(e.id);
          yield tracked(e.id, e.event as StreamEvent);
          if (e.event.type === 'done') return;
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        unsubscribe();
        release();
      }
    }),
} satisfies TRPCRouterRecord;
