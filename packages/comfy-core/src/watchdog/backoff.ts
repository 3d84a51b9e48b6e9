/**
 * Delay before retry `attempt` (1, 2, ...): exponential with "equal jitter", so retries from many
 * gateways spread out but never collapse to zero: cap/2 + random * cap/2, cap = min(max, base*2^(n-1)).
 */
export function backoffDelay(attempt: number, opts: { baseDelayMs: number; maxDelayMs: number; random: () => number }): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return cap / 2 + opts.random() * (cap / 2);
}
