/** Waits `ms`; 0 still yields to the event loop so HTTP requests are served between nodes. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
