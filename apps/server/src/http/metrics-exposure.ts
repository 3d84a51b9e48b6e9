import { isIP } from 'node:net';
import type { Logger } from 'pino';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Warns once at start when `/metrics` answers anyone (no METRICS_TOKEN) on a reachable address. */
export function warnIfMetricsOpen(
  config: { host: string; metricsToken: string | null },
  logger: Pick<Logger, 'warn'>,
): boolean {
  if (config.metricsToken !== null || isLoopbackHost(config.host)) return false;
  logger.warn(
    { host: config.host },
    '/metrics is open to anyone who can reach this address: set METRICS_TOKEN or bind HOST to loopback',
  );
  return true;
}
