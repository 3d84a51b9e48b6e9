/** How a connect or probe ended; `error` is the rejection's message. */
export type Outcome = { ok: true } | { ok: false; error: string };

/** Runs async operations strictly one at a time (see `createSingleFlight`). */
export interface SingleFlight {
  /**
   * Starts `op` now, or right after the one in flight settles (only the latest queued op is kept).
   * `done` is skipped when `invalidate()` was called in between.
   */
  run(op: () => Promise<void>, done: (outcome: Outcome) => void): void;
  /** Makes the op in flight stale (its outcome is dropped) and forgets the queued one. */
  invalidate(): void;
  /** Increases with every `invalidate()`; lets callers notice one happened during a callback. */
  readonly epoch: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The watchdog's guarantee of one connect or probe in flight: even a stale operation (started
 * before a stop or disconnect) holds the slot until it settles, so a quick stop/start or a
 * disconnect during a probe never overlaps two requests to ComfyUI.
 */
export function createSingleFlight(): SingleFlight {
  let inFlight = false;
  let queued: (() => void) | null = null;
  let epoch = 0;

  const run = (op: () => Promise<void>, done: (outcome: Outcome) => void): void => {
    if (inFlight) {
      // A stale op that never settles would hold this back; connect and probe carry their own timeouts.
      queued = () => run(op, done);
      return;
    }
    inFlight = true;
    const startedIn = epoch;
    const settle = (outcome: Outcome) => {
      inFlight = false;
      const next = queued;
      queued = null;
      if (startedIn === epoch) done(outcome);
      if (next && !inFlight) next();
    };
    let pending: Promise<void>;
    try {
      pending = op();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => settle({ ok: true }),
      (err: unknown) => settle({ ok: false, error: message(err) }),
    );
  };

  return {
    run,
    invalidate() {
      epoch++;
      queued = null;
    },
    get epoch() {
      return epoch;
    },
  };
}
