import { readFile, readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { gallerySidecarSchema } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { ADMIN, startTestApp } from './fixture.ts';
import type { TestApp } from './fixture.ts';
import { makeJpeg, makePng } from './images.ts';

interface Item {
  id: string;
  hash: string;
  path: string;
  sidecar_path: string;
  deduplicated: boolean;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  prompt_id: string | null;
  caption: string | null;
}

function ingest(
  t: TestApp,
  bytes: Buffer,
  fields: Record<string, string> = {},
  opts: { fieldsFirst?: boolean; name?: string } = {},
) {
  const form = new FormData();
  const addFields = () => {
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
  };
  if (opts.fieldsFirst !== false) addFields();
  form.append('file', new Blob([new Uint8Array(bytes)]), opts.name ?? 'out.png');
  if (opts.fieldsFirst === false) addFields();
  return t.request('/api/comfy/ingest', { method: 'POST', body: form, token: t.adminToken });
}

/** Every file below ROOT_DIR/generated/comfy, relative. */
async function galleryFiles(t: TestApp): Promise<string[]> {
  const dir = path.join(t.rootDir, 'generated', 'comfy');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** A viewer that sees every owner's items. */
const ANY_ADMIN = { id: 0, role: 'admin' } as const;

const tmpFiles = (t: TestApp) => readdir(path.join(t.rootDir, 'generated', '.tmp'));

async function errorOf(res: Response) {
  return (
    (await res.json()) as {
      error: { code: string; message: string; details?: { fields?: Record<string, string[]> } };
    }
  ).error;
}

describe('gallery ingest', () => {
  it('stores a new image (201) with a sidecar, and the same bytes again are deduplicated (200)', async () => {
    await using t = await startTestApp();
    const png = makePng(64, 48);
    const workflow = { '3': { class_type: 'KSampler', inputs: { seed: 1 } } };
    const metadata = { caption: 'a red fox', tags: ['fox'] };
    const res = await ingest(t, png, {
      prompt_id: 'p-123',
      workflow: JSON.stringify(workflow),
      metadata: JSON.stringify(metadata),
    });
    expect(res.status).toBe(201);
    const item = (await res.json()) as Item;
    const day = new Date().toISOString().slice(0, 10);
    expect(item).toMatchObject({
      deduplicated: false,
      mime: 'image/png',
      size: png.length,
      width: 64,
      height: 48,
      prompt_id: 'p-123',
      caption: 'a red fox',
    });
    expect(item.path).toBe(`generated/comfy/${day}/comfy_${item.hash.slice(0, 16)}.png`);
    // Each item has its own sidecar (ids are per owner now); the stored file is named by the bytes.
    expect(item.sidecar_path).toBe(`generated/comfy/${day}/comfy_${item.id}.json`);
    expect(await readFile(path.join(t.rootDir, item.path))).toEqual(png);

    const sidecar = gallerySidecarSchema.parse(
      JSON.parse(await readFile(path.join(t.rootDir, item.sidecar_path), 'utf8')),
    );
    expect(sidecar).toMatchObject({
      version: 1,
      id: item.id,
      hash: item.hash,
      prompt_id: 'p-123',
      workflow,
      metadata,
      file: {
        name: `comfy_${item.hash.slice(0, 16)}.png`,
        size: png.length,
        mime: 'image/png',
        width: 64,
        height: 48,
        original_name: 'out.png',
      },
      ingested_by: { email: ADMIN.email },
      source: null,
    });
    expect(Date.parse(sidecar.ingested_at)).toBeGreaterThan(Date.now() - 60_000);

    const again = await ingest(t, png, { prompt_id: 'other' }, { fieldsFirst: false });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: item.id, deduplicated: true, prompt_id: 'p-123' });
    expect(await galleryFiles(t)).toHaveLength(2);
    expect(await tmpFiles(t)).toEqual([]);
  });

  it('accepts fields after the file part and JPEG uploads', async () => {
    await using t = await startTestApp();
    const res = await ingest(
      t,
      makeJpeg(320, 200),
      { prompt_id: 'late' },
      { fieldsFirst: false, name: 'x.jpg' },
    );
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      mime: 'image/jpeg',
      width: 320,
      height: 200,
      prompt_id: 'late',
    });
  });

  it('rejects an empty file, a non-image, a missing file and invalid JSON fields with 400 naming the field', async () => {
    await using t = await startTestApp();
    const empty = await ingest(t, Buffer.alloc(0));
    expect(empty.status).toBe(400);
    expect(await errorOf(empty)).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'file: file is empty',
      details: { fields: { file: ['file is empty'] } },
    });

    const text = await ingest(t, Buffer.from('hello, not an image'));
    expect(text.status).toBe(400);
    expect((await errorOf(text)).message).toMatch(/^file: .*PNG, JPEG or WebP/);

    const form = new FormData();
    form.append('prompt_id', 'p');
    const missing = await t.request('/api/comfy/ingest', { method: 'POST', body: form, token: t.adminToken });
    expect(missing.status).toBe(400);
    expect(Object.keys((await errorOf(missing)).details?.fields ?? {})).toEqual(['file']);

    for (const field of ['workflow', 'metadata']) {
      const res = await ingest(t, makePng(), { [field]: '{not json' });
      expect(res.status).toBe(400);
      const err = await errorOf(res);
      expect(err.message).toBe(`${field}: must be valid JSON`);
      expect(Object.keys(err.details?.fields ?? {})).toEqual([field]);
    }
    const arr = await ingest(t, makePng(), { metadata: '[1,2]' });
    expect((await errorOf(arr)).message).toBe('metadata: must be a JSON object');
    expect(await galleryFiles(t)).toEqual([]);
    expect(await tmpFiles(t)).toEqual([]);
  });

  it('answers 413 over UPLOAD_MAX_BYTES and leaves no temp file', async () => {
    await using t = await startTestApp({ UPLOAD_MAX_BYTES: '2000' });
    const res = await ingest(t, makePng(8, 8, { padBytes: 20_000 }));
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await tmpFiles(t)).toEqual([]);
    expect(await galleryFiles(t)).toEqual([]);
    expect((await ingest(t, makePng(8, 8))).status).toBe(201);
  });

  it('stores one file when the same bytes arrive concurrently', async () => {
    await using t = await startTestApp();
    const png = makePng(10, 10, { padBytes: 200_000 });
    const results = await Promise.all([ingest(t, png), ingest(t, png), ingest(t, png)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const bodies = (await Promise.all(results.map((r) => r.json()))) as Item[];
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(await galleryFiles(t)).toHaveLength(2);
    expect(await tmpFiles(t)).toEqual([]);
  });

  it('leaves nothing behind when the client disconnects mid-upload', async () => {
    await using t = await startTestApp();
    const boundary = 'cgboundary';
    const png = makePng(10, 10, { padBytes: 400_000 });
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const url = new URL(t.url);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: '/api/comfy/ingest',
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.adminToken}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + png.length + tail.length),
      },
    });
    req.on('error', () => undefined);
    req.write(head);
    req.write(png.subarray(0, png.length / 2));
    // Let the server start writing the temp file before the socket goes away.
    await expect.poll(async () => (await tmpFiles(t)).length, { timeout: 10_000 }).toBe(1);
    req.destroy();
    await expect.poll(async () => (await tmpFiles(t)).length, { timeout: 10_000 }).toBe(0);
    expect(await galleryFiles(t)).toEqual([]);
    expect((await t.services.gallery.list({ limit: 10 }, ANY_ADMIN)).items).toEqual([]);
    expect((await t.request('/healthz')).status).toBe(200);
  });

  it('answers 503 COMFY_DISABLED to a JSON ingest without the ComfyUI integration, 415 otherwise', async () => {
    await using t = await startTestApp();
    const res = await t.request('/api/comfy/ingest', {
      method: 'POST',
      token: t.adminToken,
      json: { prompt_id: 'p', filename: 'a.png' },
    });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('COMFY_DISABLED');
    const other = await t.request('/api/comfy/ingest', {
      method: 'POST',
      token: t.adminToken,
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(other.status).toBe(415);
    expect((await t.request('/api/comfy/ingest', { method: 'POST', body: new FormData() })).status).toBe(401);
  });
});

describe('gallery routes', () => {
  it('pages newest first, shows detail with sidecar, serves the file and deletes', async () => {
    // A clock that moves only between ingests, so "newest first" is decided by time, not by luck.
    let now = Date.parse('2026-03-01T12:00:00Z');
    await using t = await startTestApp({}, { clock: { now: () => now } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await ingest(t, makePng(20 + i, 10), { metadata: JSON.stringify({ caption: `n${i}` }) });
      ids.push(((await res.json()) as Item).id);
      now += 1000;
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = (await (await t.request(`/api/gallery${q}`, { token: t.adminToken })).json()) as {
        items: Item[];
        next_cursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await t.request('/api/gallery?cursor=garbage', { token: t.adminToken })).status).toBe(400);
    expect((await t.request('/api/gallery?limit=0', { token: t.adminToken })).status).toBe(400);

    const id = ids[0] ?? '';
    const detail = (await (await t.request(`/api/gallery/${id}`, { token: t.adminToken })).json()) as Item & {
      sidecar: { hash: string };
    };
    expect(detail).toMatchObject({ id, caption: 'n0', width: 20 });
    expect(detail.sidecar.hash).toBe(detail.hash);

    const file = await t.request(`/api/gallery/${id}/file`, { token: t.adminToken });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('etag')).toBe(`"${detail.hash}"`);
    expect(file.headers.get('cache-control')).toMatch(/^private/);
    expect(file.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await file.arrayBuffer())).toEqual(await readFile(path.join(t.rootDir, detail.path)));
    const cached = await t.request(`/api/gallery/${id}/file`, {
      token: t.adminToken,
      headers: { 'if-none-match': `"${detail.hash}"` },
    });
    expect(cached.status).toBe(304);

    expect((await t.request(`/api/gallery/${id}`, { method: 'DELETE', token: t.adminToken })).status).toBe(
      204,
    );
    expect((await t.request(`/api/gallery/${id}`, { token: t.adminToken })).status).toBe(404);
    expect((await t.request(`/api/gallery/${id}/file`, { token: t.adminToken })).status).toBe(404);
    expect((await t.request(`/api/gallery/${id}`, { method: 'DELETE', token: t.adminToken })).status).toBe(
      404,
    );
    expect(await galleryFiles(t)).toHaveLength(8);
    expect((await t.request('/api/gallery/not-an-id', { token: t.adminToken })).status).toBe(400);
  });

  it('rebuilds the index from the sidecars', async () => {
    await using t = await startTestApp();
    for (let i = 0; i < 3; i++) await ingest(t, makePng(30, 30 + i));
    const before = (await t.services.gallery.list({ limit: 50 }, ANY_ADMIN)).items;
    t.db.prepare('DELETE FROM gallery').run();
    expect((await t.services.gallery.list({ limit: 50 }, ANY_ADMIN)).items).toEqual([]);
    expect(await t.services.gallery.rebuildIndex()).toEqual({ indexed: 3, skipped: 0 });
    expect((await t.services.gallery.list({ limit: 50 }, ANY_ADMIN)).items).toEqual(before);
  });
});
