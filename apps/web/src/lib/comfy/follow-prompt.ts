import { errorMessage, isAuthError } from '@comfy-gateway/client';
import type { GatewayRest } from '@comfy-gateway/client';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';
import type { Notifier } from '../notifications.svelte.ts';

export type StreamEventHandler = (event: StreamEvent) => void;
export type CompleteHandler = (final: JobSnapshot) => void;
export type Unsubscribe = () => void;
export interface SubscribeOptions {
  /** Ask for live preview frames (`?previews=1`). */
  previews?: boolean;
  /** Toast on completion and failure (default true). */
  notify?: boolean;
}

export interface FollowOptions {
  rest: GatewayRest;
  notifier: Notifier;
  promptId: string;
  onEvent: StreamEventHandler | null;
  onComplete: CompleteHandler;
  opts: SubscribeOptions;
  /** Reopens after the client's stream gave up, before the job counts as lost. */
  reopens: number;
  reopenDelay: (attempt: number) => number;
}

/** A snapshot for a stream that ended without a `done` event. */
export function unknownSnapshot(promptId: string, message: string): JobSnapshot {
  return { prompt_id: promptId, status: 'unknown', error: { message } };
}

const isGone = (err: unknown) => isAuthError(err) || (err as { status?: unknown }).status === 404;

function notifyFinal(notifier: Notifier, promptId: string, s: JobSnapshot): void {
  const short = promptId.slice(0, 8);
  if (s.status === 'completed') notifier.notify('success', `Job ${short} completed`);
  else if (s.status === 'failed')
    notifier.notify('error', `Job ${short} failed: ${s.error?.message ?? 'unknown error'}`);
  else if (s.status === 'cancelled' || s.status === 'interrupted')
    notifier.notify('info', `Job ${short} ${s.status}`);
  else notifier.notify('warning', `Lost track of job ${short}: ${s.error?.message ?? 'no final state'}`);
}

/**
 * Follows a prompt with the client's resumable stream until `done`. When the stream gives up,
 * `/status` tells the truth; the stream is reopened (from the last event id) a few times before
 * the job counts as lost. Returns the function that stops following.
 */
export function followPrompt(f: FollowOptions): Unsubscribe {
  const { notifier, promptId } = f;
  const warnKey = `stream:${promptId}`;
  const ac = new AbortController();
  let finished = false;
  let warned = false;
  let lastEventId: string | undefined;

  const warn = (message: string) => {
    warned = true;
    notifier.notify('warning', message, { key: warnKey, timeoutMs: 0 });
  };
  const finish = (final: JobSnapshot) => {
    if (finished) return;
    finished = true;
    ac.abort();
    notifier.dismiss(warnKey);
    if (f.opts.notify !== false) notifyFinal(notifier, promptId, final);
    f.onComplete(final);
  };

  /** One pass of the stream; resolves true when the job reached its end. */
  const stream = async (): Promise<boolean> => {
    const items = f.rest.stream(promptId, {
      signal: ac.signal,
      previews: f.opts.previews ?? false,
      ...(lastEventId ? { lastEventId } : {}),
      onReconnect: () => warn('Progress stream interrupted; reconnecting'),
    });
    for await (const { id, event } of items) {
      if (finished) return true;
      if (id) lastEventId = id;
      if (warned) {
        warned = false;
        notifier.dismiss(warnKey);
      }
      f.onEvent?.(event);
      if (event.type === 'done') {
        finish(event.snapshot);
        return true;
      }
    }
    return false;
  };

  /** The stream failed for good: asks `/status`; true when that settled the job. */
  const recover = async (): Promise<boolean> => {
    try {
      const snap = await f.rest.status(promptId, { signal: ac.signal });
      if (isFinalJobStatus(snap.status)) {
        finish(snap);
        return true;
      }
      if (!finished) f.onEvent?.({ type: 'status', snapshot: snap });
    } catch (err) {
      if (finished) return true;
      if (isGone(err)) {
        finish(unknownSnapshot(promptId, errorMessage(err)));
        return true;
      }
    }
    return false;
  };

  const run = async () => {
    for (let reopen = 0; ; reopen++) {
      try {
        if (await stream()) return;
      } catch (err) {
        if (finished) return;
        if (isAuthError(err)) return finish(unknownSnapshot(promptId, errorMessage(err)));
      }
      if (await recover()) return;
      if (reopen >= f.reopens)
        return finish(unknownSnapshot(promptId, 'the progress stream could not be reopened'));
      warn(`Progress stream lost; reconnecting (${reopen + 1}/${f.reopens})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, f.reopenDelay(reopen + 1));
        ac.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (finished) return;
    }
  };

  void run();
  return () => {
    finished = true;
    ac.abort();
    notifier.dismiss(warnKey);
  };
}
