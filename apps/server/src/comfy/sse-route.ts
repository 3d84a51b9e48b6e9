import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import { forEachEvent } from '@comfy-gateway/comfy-core';
import type { TrackedEvent } from '@comfy-gateway/comfy-core';
import { formatSseEvent, openSse } from '../http/sse.ts';
import type { SseScope } from '../http/sse.ts';
import { SseFrame } from '../http/sse-frame.ts';
import type { Caller } from '../jobs/job-access.ts';
import type { ComfyGatewayService } from './create.ts';
import { openSubscriber, subscriberCount } from './subscriber-count.ts';

/** Reconnect delay suggested to clients (the SSE `retry:` field). */
export const SSE_RETRY_MS = 3000;

// Every subscriber of a prompt gets the same event object: encode it once, not once per stream.
const frames = new WeakMap<TrackedEvent, SseFrame>();
function frameOf(e: TrackedEvent): SseFrame {
  let frame = frames.get(e);
  if (frame === undefined) {
    frame = new SseFrame(formatSseEvent(e.event.type, e.id === '' ? null : e.id, e.event));
    frames.set(e, frame);
  }
  return frame;
}

/** SSE streams open right now (metrics). */
export const activeStreamCount = (): number => subscriberCount('sse');

export interface PromptStreamOptions {
  promptId: string;
  previews: boolean;
  user: Caller;
  /** `Last-Event-ID` (or `?lastEventId`): resume after that id. */
  after: string | undefined;
  scope: SseScope;
}

/**
 * What a stream request asks for: previews (`?previews=1` or `true`), and where to resume
 * (`Last-Event-ID`, else `?lastEventId`, which an EventSource cannot set as a header).
 */
export function streamRequestOptions(req: Request): Pick<PromptStreamOptions, 'previews' | 'after'> {
  const query = (name: string) => {
    const v = req.query[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    previews: ['1', 'true'].includes(query('previews') ?? ''),
    after: req.get('last-event-id') ?? query('lastEventId'),
  };
}

/**
 * `GET /stream/:id`: the prompt's events over SSE, an adapter over the tracker's `stream`.
 * A resume at or past the final event gets 204, which tells a standard EventSource to stop
 * reconnecting. Unknown prompts (someone else's too): NOT_FOUND, thrown before anything is sent.
 * Resolves once the stream is open: events are then pushed to it as they come, synchronously,
 * so a connected subscriber holds no promise, no iterator and no request handler frame.
 */
export async function streamPromptEvents(
  req: IncomingMessage,
  res: ServerResponse,
  comfy: ComfyGatewayService,
  opts: PromptStreamOptions,
): Promise<void> {
  const abort = new AbortController();
  const stream = await comfy.openStream(opts.promptId, opts.user, {
    after: opts.after,
    previews: opts.previews,
    signal: abort.signal,
  });
  if (stream.ended) {
    res.statusCode = 204;
    res.end();
    return;
  }
  const sse = await openSse(req, res, { retryMs: SSE_RETRY_MS, scope: opts.scope }).catch((err: unknown) => {
    abort.abort();
    throw err;
  });
  const release = openSubscriber('sse');
  sse.onClose(() => {
    release();
    abort.abort();
  });
  // Queued frames (the final `done` among them) are written before the response ends.
  const end = () => sse.close();
  forEachEvent(stream, (e) => sse.sendFrame(frameOf(e), e.event.type)).then(end, end);
}
