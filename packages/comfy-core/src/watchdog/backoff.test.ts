import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const at = (n: number, r: number) =>
  backoffDelay(n, { baseDelayMs: 500, maxDelayMs: 30_000, random: () => r });

describe('backoffDelay (equal jitter)', () => {
  it('doubles from the base up to the cap with random = 1 (the upper bound)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => at(n, 1))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it('never goes below half the step with random = 0 (the lower bound)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => at(n, 0))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000,
    ]);
  });

  it('stays within [cap/2, cap] for any jitter', () => {
    for (let n = 1; n <= 12; n++) {
      const cap = Math.min(30_000, 500 * 2 ** (n - 1));
      for (const r of [0, 0.1, 0.5, 0.99, 1]) {
        const d = at(n, r);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
    expect(at(3, 0.5)).toBe(1500);
  });
});
