import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptySave } from '../conformance/fixtures.ts';
import { getJson, postJson, queue, waitForHistory } from '../conformance/harness.ts';
import { encodePng } from '../image/png.ts';
import { startComfySim } from '../sim.ts';

const view = (base: string, qs: string) => fetch(`${base}/view?${qs}`);

function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('GET /view (protocol §1.1 rules, in order)', () => {
  it('applies every path rule and streams files with the right headers', async () => {
    await using sim = await startComfySim();
    mkdirSync(join(sim.rootDir, 'output', 'sub'), { recursive: true });
    writeFileSync(join(sim.rootDir, 'output', 'sub', 'a.png'), encodePng(1, 1, new Uint8Array(3)));
    writeFileSync(join(sim.rootDir, 'input', 'in.webp'), 'webp');
    writeFileSync(join(sim.rootDir, 'output', 'page.html'), '<p>');
    const u = sim.url;
    expect((await view(u, 'type=output')).status).toBe(404);
    expect((await view(u, 'filename=')).status).toBe(400);
    expect((await view(u, 'filename=/etc/passwd')).status).toBe(400);
    expect((await view(u, 'filename=a..png')).status).toBe(400);
    expect((await view(u, 'filename=a.png&type=models')).status).toBe(400);
    expect((await view(u, 'filename=a.png&subfolder=../../')).status).toBe(403);
    expect((await view(u, 'filename=a.png&subfolder=/etc')).status).toBe(403);
    const missing = await view(u, 'filename=nope.png&type=output');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('');
    const ok = await view(u, 'filename=a.png&subfolder=sub&type=output&preview=webp;90&channel=rgb');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('content-disposition')).toBe('filename="a.png"');
    expect(
      Buffer.from(await ok.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    // ".." inside the subfolder is fine while it stays inside the base.
    expect((await view(u, 'filename=a.png&subfolder=sub/../sub')).status).toBe(200);
    // The annotation overrides type; the filename is reduced to its basename.
    expect(
      (await view(u, `filename=${encodeURIComponent('in.webp [input]')}&type=temp`)).headers.get(
        'content-type',
      ),
    ).toBe('image/webp');
    expect((await view(u, 'filename=sub/a.png&subfolder=sub')).status).toBe(200);
    expect((await view(u, 'filename=page.html')).headers.get('content-type')).toBe(
      'application/octet-stream',
    );
    expect((await fetch(`${u}/api/view?filename=a.png&subfolder=sub`)).status).toBe(200);
  });
});

describe('history, aliases and misc routes', () => {
  it('pages /history like get_history and clears/deletes it', async () => {
    await using sim = await startComfySim();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await queue(sim, emptySave(`h${i}`, i)));
    await waitForHistory(sim, ids[3] as string);
    expect(Object.keys(await getJson(sim, '/history'))).toEqual(ids);
    expect(Object.keys(await getJson(sim, '/history?max_items=2'))).toEqual(ids.slice(2));
    expect(Object.keys(await getJson(sim, '/api/history?max_items=2&offset=1'))).toEqual(ids.slice(1, 3));
    expect((await fetch(`${sim.url}/history?max_items=abc`)).status).toBe(500);
    expect(await getJson(sim, '/history/does-not-exist')).toEqual({});
    const del = await postJson(sim, '/history', { delete: [ids[0]] });
    expect([del.status, del.text]).toEqual([200, '']);
    expect(Object.keys(await getJson(sim, '/history'))).toEqual(ids.slice(1));
    await postJson(sim, '/api/history', { clear: true });
    expect(await getJson(sim, '/history')).toEqual({});
  });

  it('serves the read-only routes under both forms', async () => {
    await using sim = await startComfySim({ version: '0.3.99' });
    for (const p of ['', '/api']) {
      expect(await getJson(sim, `${p}/prompt`)).toEqual({ exec_info: { queue_remaining: 0 } });
      expect(await getJson(sim, `${p}/queue`)).toEqual({ queue_running: [], queue_pending: [] });
      expect(await getJson(sim, `${p}/features`)).toEqual({
        supports_preview_metadata: true,
        max_upload_size: 104857600,
      });
      expect(await getJson(sim, `${p}/embeddings`)).toEqual([]);
      expect(await getJson(sim, `${p}/extensions`)).toEqual([]);
      expect(await getJson<string[]>(sim, `${p}/models`)).toHaveLength(20);
    }
    expect(await getJson(sim, '/models/checkpoints')).toEqual([
      'sd_xl_base_1.0.safetensors',
      'v1-5-pruned-emaonly.safetensors',
      'tiny_sd15.safetensors',
    ]);
    expect((await fetch(`${sim.url}/models/nope`)).status).toBe(404);
    const stats = await getJson<{ system: Record<string, unknown>; devices: unknown[] }>(
      sim,
      '/system_stats',
    );
    expect(stats.system['comfyui_version']).toBe('0.3.99');
    expect(stats.devices).toHaveLength(1);
    const res = await fetch(`${sim.url}/prompt`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/prompt`, { method: 'DELETE' })).status).toBe(405);
    expect((await postJson(sim, '/free', { free_memory: true })).text).toBe('');
    expect(sim.stats.requests['GET /prompt']).toBe(3);
  });

  it("answers malformed JSON with aiohttp's plain-text 500", async () => {
    await using sim = await startComfySim();
    for (const path of ['/prompt', '/queue', '/history', '/free']) {
      const r = await fetch(`${sim.url}${path}`, { method: 'POST', body: '{bad' });
      expect(r.status).toBe(500);
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    }
  });

  it('rejects a foreign Origin on a loopback Host with an empty 403', async () => {
    await using sim = await startComfySim();
    const evil = await rawRequest(`${sim.url}/prompt`, { headers: { origin: 'http://evil.example' } });
    expect([evil.status, evil.body]).toEqual([403, '']);
    const same = await rawRequest(`${sim.url}/prompt`, {
      headers: { origin: `http://127.0.0.1:${sim.port}` },
    });
    expect(same.status).toBe(200);
    const otherPort = await rawRequest(`${sim.url}/prompt`, { headers: { origin: 'http://127.0.0.1:1' } });
    expect(otherPort.status).toBe(403);
    const noOrigin = await rawRequest(`${sim.url}/prompt`, {});
    expect(noOrigin.status).toBe(200);
  });
});

describe('POST /upload/image', () => {
  const upload = (url: string, name: string, data: Buffer, fields: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('image', new Blob([data]), name);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return fetch(`${url}/upload/image`, { method: 'POST', body: form });
  };

  it('stores uploads, reuses identical files, renames clashes and lists them for LoadImage', async () => {
    await using sim = await startComfySim();
    const a = encodePng(2, 2, new Uint8Array(12));
    const b = encodePng(3, 3, new Uint8Array(27));
    const first = await upload(sim.url, 'probe_in.png', a);
    expect(await first.json()).toEqual({ name: 'probe_in.png', subfolder: '', type: 'input' });
    expect(await (await upload(sim.url, 'probe_in.png', a)).json()).toEqual({
      name: 'probe_in.png',
      subfolder: '',
      type: 'input',
    });
    expect(await (await upload(sim.url, 'probe_in.png', b)).json()).toEqual({
      name: 'probe_in (1).png',
      subfolder: '',
      type: 'input',
    });
    expect(await (await upload(sim.url, 'probe_in.png', b, { overwrite: 'true' })).json()).toEqual({
      name: 'probe_in.png',
      subfolder: '',
      type: 'input',
    });
    expect(await (await upload(sim.url, 'x.png', a, { type: 'temp', subfolder: 'deep' })).json()).toEqual({
      name: 'x.png',
      subfolder: 'deep',
      type: 'temp',
    });
    expect((await upload(sim.url, '../../x.png', a)).status).toBe(400);
    expect((await upload(sim.url, 'x.png', a, { type: 'models' })).status).toBe(500);
    expect(
      (await fetch(`${sim.url}/api/upload/image`, { method: 'POST', body: new FormData() })).status,
    ).toBe(400);
    const info = await getJson<{ LoadImage: { input: { required: { image: [string[], unknown] } } } }>(
      sim,
      '/object_info/LoadImage',
    );
    expect(info.LoadImage.input.required.image).toEqual([
      ['probe_in (1).png', 'probe_in.png'],
      { image_upload: true },
    ]);
    // LoadImage → ImageInvert → SaveImage runs on the uploaded file (3×3 after the overwrite).
    const id = await queue(sim, {
      '1': { class_type: 'LoadImage', inputs: { image: 'probe_in.png' } },
      '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'loaded' } },
    });
    const entry = await waitForHistory(sim, id);
    expect(entry['outputs']).toEqual({
      '3': { images: [{ filename: 'loaded_00001_.png', subfolder: '', type: 'output' }] },
    });
  });

  it('answers 413 when the body is over the upload limit', async () => {
    await using sim = await startComfySim();
    const r = await rawRequest(`${sim.url}/upload/image`, {
      method: 'POST',
      headers: {
        'content-type': 'multipart/form-data; boundary=x',
        'content-length': String(200 * 1024 * 1024),
      },
      body: '--x\r\n',
    }).catch((e: unknown) => ({ status: -1, body: String(e) }));
    expect(r.status).toBe(413);
  });
});
