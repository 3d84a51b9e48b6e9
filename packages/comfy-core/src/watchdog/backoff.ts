/**
 * Delay in ms before retry `attempt` (1, 2, ...), exponential backoff with "equal jitter":
 *
 *   cap   = min(maxDelayMs, baseDelayMs * 2^(attempt-1))
 *   delay = cap/2 + random() * cap/2          → always within [cap/2, cap]
 *
 * Half of the step is fixed so a retry never collapses to zero; the other half is random so many
 * gateways restarted together with one ComfyUI don't retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  opts: { baseDelayMs: number; maxDelayMs: number; random: () => number },
): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return cap / 2 + opts.random() * (cap / 2);
}
