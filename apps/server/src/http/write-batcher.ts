/** Socket writes per turn of the event loop before the batcher yields (see `createWriteBatcher`). */
export const WRITE_BATCH_SIZE = 256;

export interface WriteBatcher {
  /** Runs `task` in a later batch, after the tasks scheduled before it. */
  schedule(task: () => void): void;
  /** Tasks waiting. */
  readonly pending: number;
}

/**
 * Runs queued write tasks `batchSize` at a time, each batch in its own turn of the event loop
 * (`setImmediate`), so one event fanned out to 10,000 sockets never holds the loop for all of
 * them: timers, other requests and incoming frames get a turn between batches.
 */
export function createWriteBatcher(
  o: { batchSize?: number; defer?: (run: () => void) => void; onError?: (err: unknown) => void } = {},
): WriteBatcher {
  const batchSize = o.batchSize ?? WRITE_BATCH_SIZE;
  const defer = o.defer ?? ((run) => void setImmediate(run));
  let queue: (() => void)[] = [];
  let head = 0;
  let scheduled = false;

  // `scheduled` stays true while a batch runs: tasks it schedules wait for the next batch.
  const run = () => {
    const end = Math.min(queue.length, head + batchSize);
    while (head < end) {
      const task = queue[head];
      queue[head++] = noop; // let the closure go before the queue is compacted
      try {
        task?.();
      } catch (err) {
        // One broken socket must not stop the others' writes.
        o.onError?.(err);
      }
    }
    if (head >= queue.length) {
      queue = [];
      head = 0;
      scheduled = false;
      return;
    }
    if (head > batchSize * 4) {
      queue = queue.slice(head);
      head = 0;
    }
    defer(run);
  };

  return {
    schedule(task) {
      queue.push(task);
      if (scheduled) return;
      scheduled = true;
      defer(run);
    },
    get pending() {
      return queue.length - head;
    },
  };
}

const noop = (): void => undefined;

/** The process's batcher for SSE writes: every stream shares one queue, so batches span them all. */
export const sseWriteBatcher = createWriteBatcher();
