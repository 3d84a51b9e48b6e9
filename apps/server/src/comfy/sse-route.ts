import type { TrackedEvent } from '@comfy-gateway/comfy-core';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { Request, Response } from 'express';
import { openSse } from '../http/sse.ts';
import type { ComfyGatewayService } from './create.ts';
import { openSubscriber, subscriberCount } from './subscriber-count.ts';

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
  opts: { promptId: string; previews: boolean },
): Promise<void> {
  await comfy.status(opts.promptId); // 404 (a JSON error) before the stream starts
  const tracker = comfy.conn().tracker;
  const sse = openSse(req, res);
  const release = openSubscriber('sse');
  let lastSent = Number(sse.lastEventId ?? req.query['lastEventId'] ?? 0) || 0;
  const queued: TrackedEvent[] = [];
  let backfilled = false;

  const send = (e: TrackedEvent) => {
    if (sse.closed) return;
    if (e.id === '') {
      if (opts.previews) sse.send(e.event.type, null, e.event);
      return;
    }
    const n = Number(e.id);
    if (n <= lastSent) return;
    lastSent = n;
    sse.send(e.event.type, e.id, e.event);
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
    sse.send('warning', null, { type: 'warning', code: 'events_dropped', message: 'some events were dropped; resuming from the current state' });
  }
  for (const e of backlog) send(e);
  backfilled = true;
  for (const e of queued.splice(0)) send(e);
  // Resumed after the final event: nothing more will come.
  const snap = tracker.get(opts.promptId);
  if (snap && isFinalJobStatus(snap.status) && tracker.eventsSince(opts.promptId, String(lastSent)).length === 0) sse.close();
}
