import type { TrackedEvent } from '@comfy-gateway/comfy-core';
import type { Request, Response } from 'express';
import { formatSseEvent, openSse } from '../http/sse.ts';
import type { Caller } from '../jobs/job-access.ts';
import type { ComfyGatewayService } from './create.ts';
import { openSubscriber, subscriberCount } from './subscriber-count.ts';

/** Reconnect delay suggested to clients (the SSE `retry:` field). */
export const SSE_RETRY_MS = 3000;

// Every subscriber of a prompt gets the same event object: format it once, not once per stream.
const frames = new WeakMap<TrackedEvent, string>();
function frameOf(e: TrackedEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    frame = formatSseEvent(e.event.type, e.id === '' ? null : e.id, e.event);
    frames.set(e, frame);
  }
  return frame;
}

/** SSE streams open right now (metrics). */
export const activeStreamCount = (): number => subscriberCount('sse');

/**
 * `GET /stream/:id`: the prompt's events over SSE, an adapter over the tracker's `stream`.
 * `Last-Event-ID` (or `?lastEventId`) resumes after that id; one at or past the final event gets
 * 204, which tells a standard EventSource to stop reconnecting. Unknown prompts: a JSON 404.
 */
export async function streamPromptEvents(
  req: Request,
  res: Response,
  comfy: ComfyGatewayService,
  opts: { promptId: string; previews: boolean; user: Caller },
): Promise<void> {
  const query = req.query['lastEventId'];
  const after = req.get('last-event-id') ?? (typeof query === 'string' ? query : undefined);
  const abort = new AbortController();
  const stream = await comfy.openStream(opts.promptId, opts.user, {
    after,
    previews: opts.previews,
    signal: abort.signal,
  });
  if (stream.ended) {
    res.status(204).end();
    return;
  }
  const sse = await openSse(req, res, { retryMs: SSE_RETRY_MS }).catch((err: unknown) => {
    abort.abort();
    throw err;
  });
  const release = openSubscriber('sse');
  sse.onClose(() => {
    release();
    abort.abort();
  });
  for await (const e of stream) sse.sendFrame(frameOf(e), e.event.type);
  sse.close();
}
