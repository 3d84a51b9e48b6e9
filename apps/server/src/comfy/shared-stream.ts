import { followBus } from '@comfy-gateway/cluster';
import { iteratePush } from '@comfy-gateway/comfy-core';
import type { JobStream, StreamOptions, TrackedEvent } from '@comfy-gateway/comfy-core';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { JobSnapshot } from '@comfy-gateway/schema';
import type { LedgerJob } from '../jobs/job-ledger.ts';
import { snapshotFromLedger } from '../jobs/job-record.ts';
import type { SharedJobEvents } from '../shared-state/job-events.ts';
import { withRedis } from '../shared-state/redis-connection.ts';

const afterOf = (after: StreamOptions['after']): number => {
  const n = Number(after ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
};

const endedStream = (snapshot: JobSnapshot): JobStream => ({
  ended: true,
  snapshot,
  close: () => undefined,
  listen: (_onEvent, onEnd) => onEnd(),
  [Symbol.asyncIterator]: async function* (): AsyncGenerator<TrackedEvent> {},
});

/**
 * A job another instance follows (or followed), from the shared bus: the same ids that instance
 * gave its events, resumable after `after`, ending after `done`. `REDIS_UNAVAILABLE` before
 * anything is sent when Redis does not answer. Undefined for a final job whose events the bus no
 * longer has (expired): the caller answers from the ledger (`done` at the stored floor).
 */
export async function openSharedStream(
  events: SharedJobEvents,
  row: LedgerJob,
  o: StreamOptions,
  onError?: (err: unknown) => void,
): Promise<JobStream | undefined> {
  const after = afterOf(o.after);
  const snapshot = snapshotFromLedger(row);
  await events.check();
  if (isFinalJobStatus(row.status)) {
    // The stored floor of a final job is its `done` event's id: a resume from there has everything.
    if (row.eventIdFloor > 0 && after >= row.eventIdFloor) return endedStream(snapshot);
    const kept = await withRedis(() => events.log.readAfter(row.promptId, 0));
    const done = kept.events.findLast((e) => e.event.type === 'done');
    if (!done) return undefined;
    if (after >= Number(done.id)) return endedStream(snapshot);
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (o.signal?.aborted) stop.abort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  const close = () => {
    o.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  };
  const listen = (onEvent: (e: TrackedEvent) => void, onEnd: () => void): void => {
    followBus(events.bus, row.promptId, { after, signal: stop.signal }, onEvent, (err) => {
      // Redis lost mid-stream: the stream ends without `done` and the client resumes by id.
      if (err !== undefined) onError?.(err);
      close();
      onEnd();
    });
  };
  return {
    ended: false,
    snapshot,
    close,
    listen,
    [Symbol.asyncIterator]: () =>
      iteratePush<TrackedEvent>((onEvent, onEnd) => {
        listen(onEvent, onEnd);
        return close;
      }),
  };
}

/**
 * After Redis came back (maybe empty), followers here of jobs the ledger says are final get the
 * ledger's `done` at the stored floor: a `done` lost with Redis must not leave their streams open.
 */
export async function endFinishedFollowers(
  events: SharedJobEvents,
  byId: (promptId: string) => Promise<LedgerJob | undefined>,
  promptIds: readonly string[],
): Promise<void> {
  for (const promptId of promptIds) {
    const row = await byId(promptId);
    if (!row || !isFinalJobStatus(row.status)) continue;
    const snapshot = snapshotFromLedger(row);
    events.deliverLocally(promptId, { id: String(row.eventIdFloor), event: { type: 'done', snapshot } });
  }
}
