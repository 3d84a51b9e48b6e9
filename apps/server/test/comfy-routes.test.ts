import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { samplerWorkflow, startComfyApp, tinyWorkflow } from './comfy-fixture.ts';
import { startTestApp } from './fixture.ts';

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('/api/comfy with the integration disabled', () => {
  it('still answers health, and 503 COMFY_DISABLED for what needs ComfyUI', async () => {
    await using app = await startTestApp();
    const health = await app.request('/api/comfy/health', { token: app.adminToken });
    expect(await health.json()).toEqual({ status: 'ok', enabled: false });
    const queue = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: tinyWorkflow() },
    });
    expect(queue.status).toBe(503);
    expect((await json(queue))['error']).toMatchObject({ code: 'COMFY_DISABLED' });
    expect((await app.request('/api/comfy/status/abc', { token: app.adminToken })).status).toBe(503);
  });
});

describe('/api/comfy against the simulator', () => {
  it('reports the connection in health', async () => {
    await using app = await startComfyApp();
    await app.connected();
    const body = await json(await app.request('/api/comfy/health', { token: app.adminToken }));
    expect(body).toMatchObject({
      status: 'ok',
      enabled: true,
      service: {
        base_url: app.sim.url,
        timeout: 5,
        client_wired: true,
        connection_state: 'connected',
        comfy_version: '0.3.64',
      },
    });
    expect((await app.request('/api/comfy/health')).status).toBe(401);
  });

  it('queues, reports status to completion, and returns sanitized history', async () => {
    await using app = await startComfyApp();
    await app.connected();
    const res = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: tinyWorkflow(1) },
    });
    expect(res.status).toBe(200);
    const { prompt_id, client_id } = (await res.json()) as { prompt_id: string; client_id: string };
    expect(client_id).toBe(app.services.comfy.connection?.clientId);
    await expect
      .poll(
        async () =>
          (await json(await app.request(`/api/comfy/status/${prompt_id}`, { token: app.adminToken })))[
            'status'
          ],
      )
      .toBe('completed');
    const status = await json(await app.request(`/api/comfy/status/${prompt_id}`, { token: app.adminToken }));
    expect(status['images']).toEqual([{ filename: 'gw_00001_.png', subfolder: '', type: 'output' }]);
    const history = await json(
      await app.request(`/api/comfy/history/${prompt_id}`, { token: app.adminToken }),
    );
    expect(history).toMatchObject({
      prompt_id,
      status: 'completed',
      progress: 100,
      images: [{ filename: 'gw_00001_.png' }],
    });
    expect(history['items']).toEqual([
      { node_id: '2', class_type: 'SaveImage', kind: 'images', value: expect.any(Array) },
    ]);
    expect(JSON.stringify(history)).not.toContain(client_id);
    expect((await app.request('/api/comfy/status/no-such-prompt', { token: app.adminToken })).status).toBe(
      404,
    );
    expect((await app.request('/api/comfy/history/no-such-prompt', { token: app.adminToken })).status).toBe(
      404,
    );
  });

  it('rejects bad bodies with 400 naming the field, and carries ComfyUI node_errors', async () => {
    await using app = await startComfyApp();
    const bad = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: { '1': { inputs: {} } } },
    });
    expect(bad.status).toBe(400);
    expect(((await json(bad))['error'] as { message: string }).message).toMatch(/^workflow\.1\.class_type: /);
    const malformed = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"workflow": ',
    });
    expect(malformed.status).toBe(400);
    const wf = tinyWorkflow();
    wf['1'].inputs.width = -5;
    const upstream = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: wf },
    });
    expect(upstream.status).toBe(400);
    const err = (await json(upstream))['error'] as {
      code: string;
      details: { node_errors: Record<string, { errors: { type: string }[] }> };
    };
    expect(err.code).toBe('COMFY_VALIDATION');
    expect(err.details.node_errors['1']?.errors[0]?.type).toBe('value_smaller_than_min');
  });

  it('honours Idempotency-Key: same key and body give the same answer and one prompt', async () => {
    await using app = await startComfyApp();
    const send = (body: unknown) =>
      app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: body,
        headers: { 'Idempotency-Key': 'k-1' },
      });
    const a = await json(await send({ workflow: tinyWorkflow(2) }));
    const b = await json(await send({ workflow: tinyWorkflow(2) }));
    expect(b).toEqual(a);
    expect(app.sim.stats.promptsAccepted).toBe(1);
    expect((await send({ workflow: tinyWorkflow(3) })).status).toBe(409);
  });

  it('holds a job in the gateway queue while ComfyUI is unreachable, and runs it once it is back', async () => {
    await using app = await startComfyApp();
    await app.sim.stop();
    const res = await app.request('/api/comfy/queue', {
      token: app.adminToken,
      method: 'POST',
      json: { workflow: tinyWorkflow() },
    });
    expect(res.status).toBe(200);
    const { prompt_id } = (await json(res)) as { prompt_id: string };
    const waiting = await json(
      await app.request(`/api/comfy/status/${prompt_id}`, { token: app.adminToken }),
    );
    expect(waiting).toMatchObject({ status: 'queued', queue_position: 0 });
    // Listing the queue needs ComfyUI's own: 503 while no server answers.
    expect((await app.request('/api/comfy/queue', { token: app.adminToken })).status).toBe(503);
    await app.sim.restart();
    expect((await app.services.comfy.waitForEnd(prompt_id)).status).toBe('completed');
  });

  it('caches object-info with an ETag, 304, refresh=1 and gzip', async () => {
    await using app = await startComfyApp();
    const first = await app.request('/api/comfy/object-info', { token: app.adminToken });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Object.keys(await json(first))).toContain('KSampler');
    const again = await app.request('/api/comfy/object-info', {
      token: app.adminToken,
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const before = app.sim.stats.requests['GET /object_info'] ?? 0;
    await app.request('/api/comfy/object-info', { token: app.adminToken });
    expect(app.sim.stats.requests['GET /object_info'] ?? 0).toBe(before);
    await app.request('/api/comfy/object-info?refresh=1', { token: app.adminToken });
    expect(app.sim.stats.requests['GET /object_info']).toBe(before + 1);
    const one = await json(await app.request('/api/comfy/object-info/KSampler', { token: app.adminToken }));
    expect(Object.keys(one)).toEqual(['KSampler']);
    expect((await app.request('/api/comfy/object-info/NoSuchNode', { token: app.adminToken })).status).toBe(
      404,
    );
    // Node's fetch decompresses transparently, so ask over a raw request for the encoding.
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      void import('node:http').then(({ get }) =>
        get(
          `${app.url}/api/comfy/object-info`,
          { headers: { authorization: `Bearer ${app.adminToken}`, 'accept-encoding': 'gzip' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
            );
          },
        ).on('error', reject),
      );
    });
    expect(raw.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(raw.body).toString())).toHaveProperty('KSampler');
  });

  it('streams images through view, rejects traversal, 404s unknown files, and rate-limits', async () => {
    await using app = await startComfyApp({}, { COMFY_VIEW_RATE_LIMIT_PER_MIN: '12' });
    const { prompt_id } = (await json(
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: tinyWorkflow(4) },
      }),
    )) as { prompt_id: string };
    await app.services.comfy.waitForEnd(prompt_id);
    const view = await app.request('/api/comfy/view?filename=gw_00001_.png&subfolder=&type=output', {
      token: app.adminToken,
    });
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await view.arrayBuffer());
    expect([...bytes.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    // Once the copy is renamed into place (just after the first response ends), views come from
    // the gateway's disk cache, not from ComfyUI.
    const upstreamCalls = async () => {
      const before = app.sim.stats.requests['GET /view'] ?? 0;
      const cached = await app.request('/api/comfy/view?filename=gw_00001_.png', { token: app.adminToken });
      expect(new Uint8Array(await cached.arrayBuffer())).toEqual(bytes);
      return (app.sim.stats.requests['GET /view'] ?? 0) - before;
    };
    await expect.poll(upstreamCalls, { interval: 20 }).toBe(0);

    const bad = await app.request('/api/comfy/view?filename=..%2F..%2Fetc%2Fpasswd', {
      token: app.adminToken,
    });
    expect(bad.status).toBe(400);
    expect(((await json(bad))['error'] as { message: string }).message).toMatch(/^filename: /);
    expect(
      (await app.request('/api/comfy/view?filename=a.png&type=models', { token: app.adminToken })).status,
    ).toBe(400);
    expect(
      (await app.request('/api/comfy/view?filename=missing.png', { token: app.adminToken })).status,
    ).toBe(404);
    let limited: Response | undefined;
    for (let i = 0; i < 15 && !limited; i++) {
      const r = await app.request('/api/comfy/view?filename=gw_00001_.png', { token: app.adminToken });
      if (r.status === 429) limited = r;
      else await r.arrayBuffer();
    }
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('cancels a pending prompt (removed) and a running one (interrupted), and lists the queue', async () => {
    await using app = await startComfyApp({ stepMs: 40 });
    await app.connected();
    const sampler = (seed: number) => samplerWorkflow(seed, 60);
    const queue = async (seed: number) =>
      (
        (await json(
          await app.request('/api/comfy/queue', {
            token: app.adminToken,
            method: 'POST',
            json: { workflow: sampler(seed) },
          }),
        )) as { prompt_id: string }
      ).prompt_id;
    const running = await queue(1);
    const pending = await queue(2);
    const tracker = app.services.comfy.conn().tracker;
    await expect.poll(() => tracker.get(running)?.status).toBe('running');
    const state = await json(await app.request('/api/comfy/queue', { token: app.adminToken }));
    expect(state).toEqual({
      running: [
        { prompt_id: running, number: expect.any(Number), position: 0, ours: true, mine: true, owner_id: 1 },
      ],
      pending: [
        { prompt_id: pending, number: expect.any(Number), position: 0, ours: true, mine: true, owner_id: 1 },
      ],
    });
    const c1 = await json(
      await app.request(`/api/comfy/cancel/${pending}`, { token: app.adminToken, method: 'POST' }),
    );
    expect(c1).toEqual({ prompt_id: pending, cancelled: true });
    const c2 = await json(
      await app.request(`/api/comfy/cancel/${running}`, { token: app.adminToken, method: 'POST' }),
    );
    expect(c2).toEqual({ prompt_id: running, cancelled: true });
    expect((await tracker.waitForEnd(pending)).status).toBe('cancelled');
    expect((await tracker.waitForEnd(running)).status).toBe('interrupted');
    const again = await json(
      await app.request(`/api/comfy/cancel/${running}`, { token: app.adminToken, method: 'POST' }),
    );
    expect(again).toEqual({ prompt_id: running, cancelled: false });
    expect(
      (await app.request('/api/comfy/cancel/nope', { token: app.adminToken, method: 'POST' })).status,
    ).toBe(404);
  });

  it('pulls an image from ComfyUI into the gallery with the executed workflow', async () => {
    await using app = await startComfyApp();
    const { prompt_id } = (await json(
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: tinyWorkflow(6) },
      }),
    )) as { prompt_id: string };
    await app.services.comfy.waitForEnd(prompt_id);
    const body = { prompt_id, filename: 'gw_00001_.png', metadata: { caption: 'six' } };
    const first = await app.request('/api/comfy/ingest', {
      token: app.adminToken,
      method: 'POST',
      json: body,
    });
    expect(first.status).toBe(201);
    const item = await json(first);
    expect(item).toMatchObject({ deduplicated: false, prompt_id, caption: 'six', mime: 'image/png' });
    const detail = await json(
      await app.request(`/api/gallery/${String(item['id'])}`, { token: app.adminToken }),
    );
    expect(detail['sidecar']).toMatchObject({
      prompt_id,
      workflow: tinyWorkflow(6),
      source: { comfy_url: app.sim.url, filename: 'gw_00001_.png', type: 'output' },
    });
    const second = await app.request('/api/comfy/ingest', {
      token: app.adminToken,
      method: 'POST',
      json: body,
    });
    expect(second.status).toBe(200);
    expect((await json(second))['deduplicated']).toBe(true);
    const missing = await app.request('/api/comfy/ingest', {
      token: app.adminToken,
      method: 'POST',
      json: { ...body, filename: 'nope.png' },
    });
    expect(missing.status).toBe(404);
    const traversal = await app.request('/api/comfy/ingest', {
      token: app.adminToken,
      method: 'POST',
      json: { ...body, filename: '../x.png' },
    });
    expect(traversal.status).toBe(400);
  });

  it('publishes an OpenAPI description generated from the schemas', async () => {
    await using app = await startComfyApp();
    const doc = await json(await app.request('/api/openapi.json'));
    expect(doc['openapi']).toBe('3.1.0');
    const paths = doc['paths'] as Record<string, Record<string, { requestBody?: unknown }>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/api/comfy/text2img', '/api/comfy/stream/{prompt_id}', '/api/comfy/view']),
    );
    expect(JSON.stringify(paths['/api/comfy/text2img']?.['post']?.requestBody)).toContain(
      '#/components/schemas/Text2ImgRequest',
    );
    const schemas = (doc['components'] as { schemas: Record<string, unknown> }).schemas;
    expect(JSON.stringify(schemas['Text2ImgRequest'])).toContain('"maximum":4096');
  });
});
