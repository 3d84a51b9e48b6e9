import type { StreamEvent } from '@comfy-gateway/schema';
import { tracked } from '@trpc/server';
import type { TrackedEnvelope } from '@trpc/server';
import { listenable } from '../listenable.ts';
import type { ListenableSubscription, SubscriptionSink } from '../listenable.ts';
import { shareAcrossSubscribers } from '../serialize-once.ts';
import type { PromptStream, StreamItem } from '../services.ts';

export type StatusEnvelope = TrackedEnvelope<StreamEvent>;

/**
 * `onStatus`'s result: the stream `open` gives (opened on first read, so its errors, like an
 * unknown prompt, come after `started` as they always did), every event `tracked` with its id so a
 * client resumes after it; unnumbered notices (events_dropped) carry the last id, so a resume
 * stays where it was. Read by iterating (tRPC's adapters) or by listening (the WebSocket lane).
 */
export function statusEvents(o: {
  open: () => Promise<PromptStream>;
  lastEventId: string | null | undefined;
  /** Counts the subscriber from when its stream is open until the returned release runs. */
  openSubscriber: () => () => void;
}): ListenableSubscription<StatusEnvelope> {
  let lastId = o.lastEventId ?? '';
  let stream: PromptStream | undefined;
  let release: (() => void) | undefined;
  let finished = false;
  const start = async (): Promise<PromptStream | undefined> => {
    const s = await o.open();
    if (finished) return void s.close();
    stream = s;
    release = o.openSubscriber();
    return s;
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    stream?.close();
    release?.();
  };
  /** The envelope of an item, or null for one before any id (nothing to resume from yet). */
  const envelope = (e: StreamItem): StatusEnvelope | null => {
    lastId = e.id || lastId;
    // The bus hands every subscriber the same event object: serialised once for all of them.
    return lastId === '' ? null : tracked(lastId, shareAcrossSubscribers(e.event));
  };

  async function* iterate(): AsyncGenerator<StatusEnvelope> {
    try {
      const s = await start();
      if (!s) return;
      for await (const e of s) {
        const env = envelope(e);
        if (env) yield env;
      }
    } finally {
      finish();
    }
  }
  // `return()` before the first `next()` never enters the generator's `finally`: finish here too.
  const iterator = (): AsyncIterator<StatusEnvelope> => {
    const gen = iterate();
    return {
      next: () => gen.next(),
      return: () => {
        finish();
        return gen.return(undefined);
      },
    };
  };

  function listen(sink: SubscriptionSink<StatusEnvelope>): () => void {
    const fail = (err: unknown) => {
      if (finished) return;
      finish();
      sink.error(err);
    };
    const onItem = (e: StreamItem) => {
      const env = envelope(e);
      if (!env || finished) return;
      // A throwing sink must not reach the bus's emit (other subscribers): it ends this one.
      try {
        sink.next(env);
      } catch (err) {
        fail(err);
      }
    };
    // After `done` (or the stream's own end); a stop through the returned function completes nothing.
    const onEnd = () => {
      if (finished) return;
      finish();
      sink.complete();
    };
    start().then((s) => {
      if (!s) return;
      if (s.listen) s.listen(onItem, onEnd);
      else pump(s, onItem).then(onEnd, fail);
    }, fail);
    return finish;
  }

  return listenable(iterator, listen);
}

/** A stream without `listen`: iterated, one promise per event (still no tRPC loop around it). */
async function pump(stream: PromptStream, onItem: (e: StreamItem) => void): Promise<void> {
  for await (const e of stream) onItem(e);
}
