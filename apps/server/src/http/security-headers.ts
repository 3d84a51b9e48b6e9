import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

const INLINE_SCRIPT = /<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi;

/**
 * CSP hash sources of every inline `<script>` in the built UI's HTML files. SvelteKit's static
 * build boots from one inline script per page; hashing it lets `script-src` stay free of
 * 'unsafe-inline'.
 */
export function inlineScriptHashes(webDir: string | null): string[] {
  if (!webDir) return [];
  const out = new Set<string>();
  const files = readdirSync(webDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.html'));
  for (const file of files) {
    const html = readFileSync(path.join(webDir, file), 'utf8');
    for (const m of html.matchAll(INLINE_SCRIPT)) {
      const body = m[1] ?? '';
      if (body.trim() === '') continue;
      out.add(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
    }
  }
  return [...out].sort();
}

/** The CSP directives of the UI and the API (served files replace it with their own, stricter one). */
export function cspDirectives(scriptHashes: readonly string[]): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...scriptHashes],
    'script-src-attr': ["'none'"],
    // Svelte sets inline styles (transitions, `style:`) and the bootstrap wrapper has a style attribute.
    'style-src': ["'self'", "'unsafe-inline'"],
    // Previews arrive as data: URLs, fetched images become blob: URLs.
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    // 'self' covers same-origin ws:/wss: (the tRPC WebSocket) in CSP 3.
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
}

type HeaderStep = readonly [name: string, value: string | null];

/**
 * What helmet does to a response with our options, recorded once: its headers are the same for
 * every request (no CSP nonces), so replaying the record is helmet without its per-request work.
 */
function recordHelmet(directives: Record<string, string[]>): readonly HeaderStep[] {
  const steps: HeaderStep[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => void steps.push([name, value]),
    removeHeader: (name: string) => void steps.push([name, null]),
  };
  helmet({
    // No upgrade-insecure-requests: plain-http deployments on a LAN address must load their own assets.
    contentSecurityPolicy: { useDefaults: false, directives },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })(recorder as never, recorder as never, () => undefined);
  return steps;
}

/** Sets the security headers on one response; `secure` is Express's `req.secure`. */
export type ApplySecurityHeaders = (
  res: Pick<ServerResponse, 'setHeader' | 'removeHeader'>,
  secure: boolean,
) => void;

/**
 * Security headers for every response (helmet): the CSP above, `X-Frame-Options: DENY`,
 * `Referrer-Policy: no-referrer`, `nosniff`, ...; HSTS only on requests that arrived over https.
 * The Express middleware and the fast lane both apply them through this one function.
 */
export function createSecurityHeaders(opts: { webDir: string | null }): ApplySecurityHeaders {
  const steps = recordHelmet(cspDirectives(inlineScriptHashes(opts.webDir)));
  return (res, secure) => {
    for (const [name, value] of steps) {
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    // `req.secure` honours X-Forwarded-Proto only when TRUST_PROXY is set.
    if (secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}

/** The Express middleware over `createSecurityHeaders`. */
export function securityHeaders(apply: ApplySecurityHeaders): RequestHandler {
  return (req, res, next) => {
    apply(res, req.secure);
    next();
  };
}
