import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { makeJpeg, makePng } from '../images.ts';
import { ingestAs, openFilesUnder, settlesTo } from './served-kit.ts';

const FILE_CSP = "default-src 'none'; sandbox";

/** Puts a file where the simulator serves `type=output` from. */
async function simOutput(t: ComfyTestApp, name: string, bytes: Buffer | string): Promise<void> {
  await mkdir(path.join(t.sim.rootDir, 'output'), { recursive: true });
  await writeFile(path.join(t.sim.rootDir, 'output', name), bytes);
}

/** Puts a file in the gateway's view cache (as if viewed before); names Node's HTTP server cannot send. */
async function cached(t: ComfyTestApp, name: string, bytes: Buffer | string): Promise<void> {
  const key = createHash('sha256').update(t.config.app.comfy_api_url).digest('hex').slice(0, 12);
  const dir = path.join(t.config.app.comfy_image_dir, key);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, name), bytes);
}

const view = (t: ComfyTestApp, filename: string, init: RequestInit = {}) =>
  t.request(`/api/comfy/view?type=output&filename=${encodeURIComponent(filename)}`, {
    ...init,
    // Admins may view any file; which files a user may view is the job ledger's business.
    token: t.adminToken,
  });

function expectFileHeaders(res: Response) {
  expect(res.headers.get('content-security-policy')).toBe(FILE_CSP);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('what /api/comfy/view serves', () => {
  it('raster images inline with their type; SVG, HTML and unknown files as octet-stream attachments', async () => {
    await using t = await startComfyApp();
    const files: [string, Buffer | string, string | null][] = [
      ['a.png', makePng(), 'image/png'],
      ['b.jpg', makeJpeg(), 'image/jpeg'],
      ['c.webp', Buffer.from('RIFF....WEBPVP8 '), 'image/webp'],
      ['d.gif', Buffer.from('GIF89a'), 'image/gif'],
      ['evil.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', null],
      ['page.html', '<html><script>alert(document.cookie)</script></html>', null],
      ['notes.txt', 'plain', null],
      ['blob', 'no extension', null],
    ];
    for (const [name, bytes] of files) await simOutput(t, name, bytes);
    // Twice: first from ComfyUI, then from the view cache, which guesses types by name.
    for (const pass of ['upstream', 'cache']) {
      for (const [name, bytes, raster] of files) {
        const res = await view(t, name);
        expect(res.status, `${pass} ${name}`).toBe(200);
        expectFileHeaders(res);
        if (raster) {
          expect(res.headers.get('content-type')).toBe(raster);
          expect(res.headers.get('content-disposition')).toBe(`inline; filename=${name}`);
        } else {
          expect(res.headers.get('content-type')).toBe('application/octet-stream');
          expect(res.headers.get('content-disposition')).toBe(`attachment; filename=${name}`);
        }
        expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(bytes));
      }
    }
  });

  it('names outside Latin-1 (and any non-ASCII) get filename*=UTF-8 with an ASCII fallback', async () => {
    await using t = await startComfyApp();
    await cached(t, '画像 1.png', makePng());
    await cached(t, 'ölbild.svg', '<svg/>');
    await cached(t, 'café.png', makePng());

    const png = await view(t, '画像 1.png');
    expect(png.status).toBe(200);
    expectFileHeaders(png);
    expect(png.headers.get('content-disposition')).toBe(
      `inline; filename="__ 1.png"; filename*=UTF-8''%E7%94%BB%E5%83%8F%201.png`,
    );
    const svg = await view(t, 'ölbild.svg');
    expect(svg.headers.get('content-type')).toBe('application/octet-stream');
    expect(svg.headers.get('content-disposition')).toBe(
      `attachment; filename=_lbild.svg; filename*=UTF-8''%C3%B6lbild.svg`,
    );
    const latin1 = await view(t, 'café.png');
    expect(latin1.status).toBe(200);
    expect(latin1.headers.get('content-disposition')).toBe(
      `inline; filename=caf_.png; filename*=UTF-8''caf%C3%A9.png`,
    );
  });
});

describe('what gallery files are served as', () => {
  it('inline with the stored type, the file CSP and nosniff', async () => {
    await using t = await startComfyApp();
    for (const [bytes, mime] of [
      [makePng(), 'image/png'],
      [makeJpeg(), 'image/jpeg'],
    ] as const) {
      const { item } = await ingestAs(t, t.adminToken, bytes);
      const res = await t.request(`/api/gallery/${item.id}/file`, { token: t.adminToken });
      expect(res.status).toBe(200);
      expectFileHeaders(res);
      expect(res.headers.get('content-type')).toBe(mime);
      expect(res.headers.get('content-disposition')).toBe(`inline; filename=${path.basename(item.path)}`);
      const notModified = await t.request(`/api/gallery/${item.id}/file`, {
        token: t.adminToken,
        headers: { 'if-none-match': `"${item.hash}"` },
      });
      expect(notModified.status).toBe(304);
      expectFileHeaders(notModified);
    }
  });
});

describe('file descriptors', () => {
  it('none leaks when requests fail or are cut before the body is sent', async () => {
    await using t = await startComfyApp({}, { COMFY_VIEW_RATE_LIMIT_PER_MIN: '10000' });
    await t.connected();
    // Larger than every socket buffer, so a cut client leaves the server mid-file.
    const big = makePng(64, 48, { padBytes: 8 << 20 });
    const { item } = await ingestAs(t, t.adminToken, big);
    await cached(t, '大きい.png', big);
    await simOutput(t, 'small.png', makePng());
    // Only the gateway's files count: the simulator runs in this process too.
    const before = await openFilesUnder([t.rootDir]);

    /** Sends the request and drops the connection as soon as the headers are in. */
    const cut = async (p: string, init: RequestInit = {}) => {
      const ac = new AbortController();
      const res = await t.request(p, { ...init, token: t.adminToken, signal: ac.signal });
      ac.abort();
      return res.status;
    };
    const statuses = new Set<number>();
    for (let i = 0; i < 25; i++) {
      statuses.add(await cut(`/api/gallery/${item.id}/file`));
      statuses.add(await cut(`/api/comfy/view?type=output&filename=${encodeURIComponent('大きい.png')}`));
      statuses.add(await cut(`/api/comfy/view?type=output&filename=small.png`));
      const nm = await t.request(`/api/gallery/${item.id}/file`, {
        token: t.adminToken,
        headers: { 'if-none-match': `"${item.hash}"` },
      });
      statuses.add(nm.status);
      const missing = await view(t, 'missing.png');
      await missing.arrayBuffer();
      statuses.add(missing.status);
    }
    expect([...statuses].sort()).toEqual([200, 304, 404]);
    expect(await settlesTo(() => openFilesUnder([t.rootDir]), before)).toEqual(before);
  });
});
