import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayClientError } from './errors.ts';
import { backoffDelay, isRetryable, withRetry } from './retry.ts';
import type { RetryInfo, RetryPolicy } from './retry.ts';

const policy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0 };
const http = (status: number, retryAfterS: number | null = null) =>
  new GatewayClientError({
    status,
    code: status === 400 ? 'VALIDATION_ERROR' : 'INTERNAL',
    message: `status ${status}`,
    retryAfterS,
  });

describe('backoffDelay', () => {
  it('grows exponentially and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('stays within the jitter band', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelay(2, jittered, () => 0)).toBe(100);
    expect(backoffDelay(2, jittered, () => 1)).toBe(300);
  });
});

describe('isRetryable', () => {
  it('retries network errors, 429 and 502/503/504 only', () => {
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryable(new GatewayClientError({ status: 0, code: 'NETWORK_ERROR', message: 'down' }))).toBe(
      true,
    );
    for (const s of [429, 502, 503, 504]) expect(isRetryable(http(s))).toBe(true);
    for (const s of [400, 401, 403, 404, 409, 413, 500]) expect(isRetryable(http(s))).toBe(false);
    expect(isRetryable(new Error('bug'))).toBe(false);
  });
});

describe('withRetry', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('retries with exponential delays, then succeeds', async () => {
    const fn = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(http(503))
      .mockRejectedValueOnce(http(502))
      .mockResolvedValue('ok');
    const onRetry = vi.fn<(info: RetryInfo) => void>();
    const p = withRetry(fn, { policy, onRetry });

    await vi.advanceTimersByTimeAsync(0);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    await expect(p).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(onRetry.mock.calls.map(([i]) => [i.attempt, i.delayMs])).toEqual([
      [1, 100],
      [2, 200],
    ]);
  });

  it('never retries a validation error', async () => {
    const fn = vi.fn<() => Promise<never>>().mockRejectedValue(http(400));
    await expect(withRetry(fn, { policy })).rejects.toMatchObject({ status: 400 });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('honours Retry-After on 429', async () => {
    const fn = vi.fn<() => Promise<string>>().mockRejectedValueOnce(http(429, 2)).mockResolvedValue('ok');
    const p = withRetry(fn, { policy });
    await vi.advanceTimersByTimeAsync(1999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe('ok');
  });

  it('gives up after the last retry with the last error', async () => {
    const fn = vi.fn<() => Promise<never>>().mockRejectedValue(http(504));
    const p = withRetry(fn, { policy });
    const settled = expect(p).rejects.toMatchObject({ status: 504 });
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    await settled;
    expect(fn).toHaveBeenCalledTimes(4);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const fn = vi.fn<() => Promise<never>>().mockRejectedValue(http(503));
    const p = withRetry(fn, { policy, signal: controller.signal });
    const settled = expect(p).rejects.toBe('stop');
    await vi.advanceTimersByTimeAsync(10);
    controller.abort('stop');
    await settled;
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
