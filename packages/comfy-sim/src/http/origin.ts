import type { IncomingMessage } from 'node:http';

function splitHost(hostHeader: string): { name: string; port: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostHeader) ?? /^([^:]+)(?::(\d+))?$/.exec(hostHeader);
  if (!m) return { name: hostHeader.toLowerCase(), port: '' };
  return { name: (m[1] ?? '').toLowerCase(), port: m[2] ?? '' };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The origin-only middleware (no --enable-cors-header): when Host is loopback and Origin names
 * another host (ports compared only when both carry one), the request gets 403 with no body.
 */
export function originRejected(req: IncomingMessage): boolean {
  const host = req.headers.host;
  const origin = req.headers.origin;
  if (!host || !origin) return false;
  const h = splitHost(host);
  if (!isLoopback(h.name)) return false;
  let o: { name: string; port: string };
  try {
    const u = new URL(origin);
    o = { name: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port: u.port };
  } catch {
    return true;
  }
  if (o.name !== h.name) return true;
  return Boolean(h.port && o.port && h.port !== o.port);
}
