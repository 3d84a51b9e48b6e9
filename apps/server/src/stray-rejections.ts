/**
 * A promise rejected with nobody listening (a background task's bug) is logged and counted, not
 * fatal: Node's default would end the process, and with it every open stream and job follower.
 * Returns the count so far, for tests.
 */
export function surviveStrayRejections(logger: {
  error: (obj: { err: unknown }, msg: string) => void;
}): () => number {
  let count = 0;
  process.on('unhandledRejection', (reason) => {
    count++;
    logger.error(
      { err: reason },
      'unhandled promise rejection (kept running; this is a bug, please report it)',
    );
  });
  return () => count;
}
