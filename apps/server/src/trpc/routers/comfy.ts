import type { TRPCRouterRecord } from '@trpc/server';

// Filled by the ComfyUI integration (health, queue, status, history, objectInfo, text2img, ...).
export const comfyRouter = {} satisfies TRPCRouterRecord;
