// One timer per interval for every open stream, instead of one `setInterval` per subscriber.
const groups = new Map<number, { beats: Set<() => void>; timer: NodeJS.Timeout }>();

/**
 * Calls `beat` every `ms` (roughly: streams joining mid-interval get their first beat early)
 * until the returned stop runs. Streams with the same interval share one timer.
 */
export function joinHeartbeat(ms: number, beat: () => void): () => void {
  let group = groups.get(ms);
  if (!group) {
    const beats = new Set<() => void>();
    const timer = setInterval(() => {
      for (const b of beats) b();
    }, ms);
    timer.unref();
    group = { beats, timer };
    groups.set(ms, group);
  }
  const g = group;
  g.beats.add(beat);
  return () => {
    g.beats.delete(beat);
    if (g.beats.size > 0 || groups.get(ms) !== g) return;
    clearInterval(g.timer);
    groups.delete(ms);
  };
}

/** Timers running for heartbeats (tests: one per interval, none once every stream ended). */
export const heartbeatTimerCount = (): number => groups.size;
