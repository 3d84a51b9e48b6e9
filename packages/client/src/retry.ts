import { GatewayClientError } from './errors.ts';
import { sleep } from './signals.ts';

/** Exponential backoff: delay = min(max, base * factor^(attempt-1)) scaled by up to ±jitter. */
export interface RetryPolicy {
  /** Retries after the first try (so at most `retries + 1` calls). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  factor?: number;
  /** 0..1, the share of the delay that is randomised. */
  jitter?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

export interface RetryInfo {
  /** The retry about to happen, 1-based. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  /** Called before each wait: the place for a "retrying in 2 s" notice. */
  onRetry?: (info: RetryInfo) => void;
  signal?: AbortSignal;
  random?: () => number;
  /** Which errors are worth another try (default: `isRetryable`). */
  shouldRetry?: (error: unknown) => boolean;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Network failures, 429 and 502/503/504 are transient; every other answer (4xx, 500) is final. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof GatewayClientError)
    return error.code === 'NETWORK_ERROR' || RETRYABLE_STATUS.has(error.status);
  // A bare fetch rejects with a TypeError when the network fails.
  return error instanceof TypeError;
}

/** The delay before retry number `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const factor = policy.factor ?? 2;
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * factor ** (attempt - 1));
  const jitter = policy.jitter ?? 0;
  return Math.max(0, Math.round(raw * (1 - jitter + 2 * jitter * random())));
}

/**
 * Runs `fn` until it succeeds, a final error occurs or the retries run out. A server's
 * `Retry-After` wins over the computed delay (capped at `maxDelayMs` × 3).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY_POLICY;
  const shouldRetry = opts.shouldRetry ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= policy.retries || !shouldRetry(error) || opts.signal?.aborted) throw error;
      const hintedS = error instanceof GatewayClientError ? error.retryAfterS : null;
      const delayMs =
        hintedS !== null
          ? Math.min(hintedS * 1000, policy.maxDelayMs * 3)
          : backoffDelay(attempt + 1, policy, opts.random);
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, opts.signal);
    }
  }
}
