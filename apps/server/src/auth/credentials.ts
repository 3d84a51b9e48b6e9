import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'cg_session';

export interface Credentials {
  token: string;
  via: 'bearer' | 'cookie';
}

/** The value of one cookie from a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/** Bearer header first (explicit beats ambient), then the session cookie. */
export function extractCredentials(req: Pick<IncomingMessage, 'headers'>): Credentials | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return { token: m[1], via: 'bearer' };
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * True when a cookie-carried request may change state from a foreign page: an unsafe method
 * whose Origin (or, lacking it, Referer) names another host. No Origin and no Referer means a
 * non-browser client, which cannot be tricked into sending our cookie, so it passes.
 */
export function isForeignOriginWrite(
  req: Pick<IncomingMessage, 'headers' | 'method'>,
  host: string | undefined,
): boolean {
  if (!UNSAFE.has((req.method ?? 'GET').toUpperCase())) return false;
  return isForeignOrigin(req, host);
}

/** Origin (or Referer) names a host other than ours; `Origin: null` counts as foreign. */
export function isForeignOrigin(req: Pick<IncomingMessage, 'headers'>, host: string | undefined): boolean {
  const origin = req.headers.origin ?? req.headers.referer;
  if (origin === undefined) return false;
  if (!host) return true;
  try {
    return new URL(origin).host.toLowerCase() !== host.toLowerCase();
  } catch {
    return true;
  }
}

/** `Set-Cookie` value for a new session (HttpOnly, SameSite=Lax, Secure on https). */
export function sessionCookie(token: string, opts: { maxAgeS: number; secure: boolean }): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    'HttpOnly',
    'SameSite=Lax',
    'Path=/',
    `Max-Age=${Math.floor(opts.maxAgeS)}`,
  ];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { maxAgeS: 0, secure });
}
