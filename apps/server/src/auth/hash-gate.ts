import { GatewayError } from '../errors.ts';

export type HashGate = ReturnType<typeof createHashGate>;

/**
 * A semaphore for password hashing: at most `concurrency` scrypt runs at once, up to `queue`
 * more wait their turn, anything beyond is refused at once (429), so a login spray costs the
 * spray, not the real users queued behind it.
 */
export function createHashGate(opts: { concurrency: number; queue: number }) {
  let running = 0;
  const waiting: (() => void)[] = [];

  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  return {
    /** Runs `fn` when a slot is free; throws RATE_LIMITED when every slot and queue place is taken. */
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (running < opts.concurrency) running++;
      else if (waiting.length < opts.queue) await new Promise<void>((resolve) => waiting.push(resolve));
      else
        throw new GatewayError('RATE_LIMITED', 'too many logins in progress; retry in 1 s', {
          retry_after_s: 1,
        });
      try {
        return await fn();
      } finally {
        release();
      }
    },
    get running(): number {
      return running;
    },
    get waiting(): number {
      return waiting.length;
    },
  };
}
