import type { TrackedEvent } from '@comfy-gateway/comfy-core';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { Request, Response } from 'express';
import { formatSseEvent, openSse } from '../http/sse.ts';
import type { Caller } from '../jobs/job-access.ts';
import type { ComfyGatewayService } from './create.ts';
import { openSubscriber, subscriberCount } from './subscriber-count.ts';

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
 * `GET /stream/:id`: every event of the prompt, with ids; `Last-Event-ID` resumes after that id.
 * The listener is attached before the backfill is read, and ids dedupe the overlap, so a
 * resumed stream has no gaps and no repeats. Ends after `done`.
 */
export async function streamPromptEvents(
  req: Request,
  res: Response,
  comfy: ComfyGatewayService,
  opts: { promptId: string; previews: boolean; user: Caller },
): Promise<void> {
  await comfy.status(opts.promptId, opts.user); // 404 (a JSON error) before the stream starts
  const tracker = comfy.conn().tracker;
  const sse = openSse(req, res);
  const release = openSubscriber('sse');
  let lastSent = Number(sse.lastEventId ?? req.query['lastEventId'] ?? 0) || 0;
  const queued: TrackedEvent[] = [];
  let backfilled = false;

  const send = (e: TrackedEvent) => {
    if (sse.closed) return;
    if (e.id === '') {
      if (opts.previews) sse.sendFrame(frameOf(e));
      return;
    }
    const n = Number(e.id);
    if (n <= lastSent) return;
    lastSent = n;
    sse.sendFrame(frameOf(e));
    if (e.event.type === 'done') sse.close();
  };

  const unsubscribe = tracker.subscribe(opts.promptId, (e) => (backfilled ? send(e) : queued.push(e)));
  sse.onClose(() => {
    release();
    unsubscribe();
  });
  const backlog = tracker.eventsSince(opts.promptId, String(lastSent));
  const first = backlog[0];
  if (lastSent > 0 && first && Number(first.id) > lastSent + 1) {
    // The buffer no longer holds what the client missed: say so, then give it the current state.
    sse.send('warning', null, {
      type: 'warning',
      code: 'events_dropped',
      message: 'some events were dropped; resuming from the current state',
    });
  }
  for (const e of backlog) send(e);
  backfilled = true;
  for (const e of queued.splice(0)) send(e);
  // Resumed after the final event: nothing more will come.
  const snap = tracker.get(opts.promptId);
  if (
    snap &&
    isFinalJobStatus(snap.status) &&
    tracker.eventsSince(opts.promptId, String(lastSent)).length === 0
  )
    sse.close();
}
