/**
 * Starts a push source: events go to `onEvent` as they come, `onEnd` runs once when the source is
 * over (with the reason when it failed). Returns the function that stops it early.
 */
export type PushSource<T> = (onEvent: (e: T) => void, onEnd: (err?: unknown) => void) => () => void;

/**
 * The async-iterator view of a push source, for consumers that read at their own pace: events
 * wait in a queue until read; a source that failed throws after what it had pushed; leaving the
 * loop early stops the source.
 */
export async function* iteratePush<T>(start: PushSource<T>): AsyncGenerator<T> {
  const queue: T[] = [];
  let over = false;
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const stop = start(
    (e) => {
      queue.push(e);
      wake?.();
    },
    (err) => {
      over = true;
      if (err !== undefined) failure = { err };
      wake?.();
    },
  );
  try {
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift() as T;
        continue;
      }
      if (over) {
        if (failure) throw failure.err;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop();
  }
}
