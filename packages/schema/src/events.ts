import * as z from 'zod';
import { imageRefSchema } from './image.ts';
import { jobSnapshotSchema } from './job.ts';

/** Events of one prompt's stream, the same over SSE and tRPC subscriptions. */
export const streamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), snapshot: jobSnapshotSchema }),
  z.object({ type: z.literal('images'), node: z.string().nullable(), images: z.array(imageRefSchema) }),
  z.object({
    type: z.literal('preview'),
    node: z.string().nullable(),
    mime: z.string(),
    /** Base64 of the preview image bytes. */
    data: z.string(),
  }),
  z.object({ type: z.literal('warning'), code: z.string(), message: z.string() }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
  z.object({ type: z.literal('done'), snapshot: jobSnapshotSchema }),
]);
export type StreamEvent = z.infer<typeof streamEventSchema>;
export type StreamEventType = StreamEvent['type'];
