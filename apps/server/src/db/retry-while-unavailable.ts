import { setTimeout as delay } from 'node:timers/promises';
import { isGatewayError } from '../errors.ts';

const MAX_DELAY_MS = 2000;

/**
 * Runs `op`, and again (backoff up to 2 s) while it fails with DATABASE_UNAVAILABLE, for at most
 * `maxWaitMs`: for writes nobody is waiting on that must land once the database is back (a job's
 * final state). Any other error, or the last one after `maxWaitMs`, is thrown.
 */
export async function retryWhileUnavailable<T>(op: () => Promise<T>, maxWaitMs = 30_000): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const unavailable = isGatewayError(err) && err.code === 'DATABASE_UNAVAILABLE';
      if (!unavailable || Date.now() >= deadline) throw err;
      await delay(Math.min(100 * 2 ** attempt, MAX_DELAY_MS, Math.max(deadline - Date.now(), 0)));
    }
  }
}
