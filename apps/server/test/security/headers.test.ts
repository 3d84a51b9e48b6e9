import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { isLoopbackHost, warnIfMetricsOpen } from '../../src/http/metrics-exposure.ts';
import { inlineScriptHashes } from '../../src/http/security-headers.ts';
import { startTestApp } from '../fixture.ts';

// The shape of SvelteKit's adapter-static bootstrap: one inline module loader per page.
const BOOT = `
				{
					__sveltekit_x = { base: "" };
					const element = document.currentScript.parentElement;
					Promise.all([import("/_app/immutable/entry/start.js")]).then(([kit]) => kit.start(element));
				}
			`;
const OTHER = 'console.log("prerendered")';
const sha = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

async function webDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cg-web-'));
  await writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><html><head><script type="module" src="/_app/x.js"></script></head>` +
      `<body><div style="display: contents"><script>${BOOT}</script></div></body></html>`,
  );
  await mkdir(path.join(dir, 'about'));
  await writeFile(
    path.join(dir, 'about', 'index.html'),
    `<html><body><script>${OTHER}</script></body></html>`,
  );
  return dir;
}

/** Parses a CSP header into directive -> sources. */
function csp(header: string | null): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out[name] = values;
  }
  return out;
}

describe('security headers', () => {
  it('the UI gets a CSP with the hashes of its inline bootstrap scripts and no unsafe-inline scripts', async () => {
    const dir = await webDir();
    try {
      expect(inlineScriptHashes(dir)).toEqual([sha(BOOT), sha(OTHER)].sort());
      await using t = await startTestApp({ WEB_DIR: dir });
      for (const p of ['/', '/gallery/123']) {
        const res = await t.request(p, { headers: { accept: 'text/html' } });
        expect(res.status).toBe(200);
        const policy = csp(res.headers.get('content-security-policy'));
        expect(policy['script-src']?.sort()).toEqual(["'self'", sha(BOOT), sha(OTHER)].sort());
        expect(policy['script-src-attr']).toEqual(["'none'"]);
        expect(policy['default-src']).toEqual(["'self'"]);
        expect(policy['connect-src']).toEqual(["'self'"]);
        expect(policy['img-src']).toEqual(["'self'", 'data:', 'blob:']);
        expect(policy['object-src']).toEqual(["'none'"]);
        expect(policy['frame-ancestors']).toEqual(["'none'"]);
        expect(policy['upgrade-insecure-requests']).toBeUndefined();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every response (probes, metrics, REST, errors, tRPC) carries them; HSTS never over plain http', async () => {
    await using t = await startTestApp();
    const responses = [
      await t.request('/healthz'),
      await t.request('/metrics'),
      await t.request('/api/auth/me'),
      await t.request('/api/gallery', { token: t.adminToken }),
      await t.request('/api/nope', { token: t.adminToken }),
      await t.request('/trpc/auth.me', { token: t.adminToken }),
      await t.request('/trpc/auth.me'),
      await t.request('/nowhere'),
      // X-Forwarded-Proto counts only behind a trusted proxy.
      await t.request('/healthz', { headers: { 'x-forwarded-proto': 'https' } }),
    ];
    for (const res of responses) {
      expect(csp(res.headers.get('content-security-policy'))['frame-ancestors'], res.url).toEqual(["'none'"]);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toBeNull();
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('HSTS on requests that arrived over https (TRUST_PROXY + X-Forwarded-Proto)', async () => {
    await using t = await startTestApp({ TRUST_PROXY: 'true' });
    const https = await t.request('/healthz', { headers: { 'x-forwarded-proto': 'https' } });
    expect(https.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    const http = await t.request('/healthz', { headers: { 'x-forwarded-proto': 'http' } });
    expect(http.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('open /metrics warning', () => {
  it('warns for a reachable HOST without METRICS_TOKEN only', () => {
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => void warnings.push(args) };
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'gateway.example.com'])
      expect(warnIfMetricsOpen({ host, metricsToken: null }, logger), host).toBe(true);
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(warnIfMetricsOpen({ host, metricsToken: null }, logger), host).toBe(false);
    expect(warnIfMetricsOpen({ host: '0.0.0.0', metricsToken: 'secret' }, logger)).toBe(false);
    expect(warnings).toHaveLength(4);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });

  it('is logged when the app is built', async () => {
    await using t = await startTestApp();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const logger = pino({ level: 'warn' }, sink);
    createApp({ config: { ...t.config, host: '0.0.0.0' }, db: t.database, services: t.services, logger });
    createApp({ config: { ...t.config, host: '127.0.0.1' }, db: t.database, services: t.services, logger });
    createApp({
      config: { ...t.config, host: '0.0.0.0', metricsToken: 'secret' },
      db: t.database,
      services: t.services,
      logger,
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 40,
      host: '0.0.0.0',
      msg: expect.stringMatching(/METRICS_TOKEN/),
    });
  });
});
