import { txt2img } from '@comfy-gateway/comfy-sim/conformance';
import { describe, expect, it } from 'vitest';
import { GatewayClientError, callTrpc, createComfyGatewayClient } from '../src/index.ts';
import type { StreamItem } from '../src/index.ts';
import { startTestGateway } from './gateway.ts';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

describe('rest helpers against the gateway and the simulator', () => {
  it('queues a workflow, streams it to the end and reads status, history and the image', async () => {
    await using gw = await startTestGateway();
    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    const queued = await rest.queue(txt2img({ steps: 6, size: 512 }));
    expect(queued.prompt_id).toMatch(/\S/);

    const items: StreamItem[] = [];
    const final = await rest.streamUntilDone(queued.prompt_id, { onEvent: (i) => items.push(i) });
    expect(final.status).toBe('completed');
    expect(items.at(-1)?.event.type).toBe('done');
    expect(items.some((i) => i.event.type === 'status' && i.event.snapshot.status === 'running')).toBe(true);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);

    const image = final.images?.[0];
    expect(image?.filename).toMatch(/\.png$/);
    const status = await rest.status(queued.prompt_id);
    expect(status).toMatchObject({ prompt_id: queued.prompt_id, status: 'completed' });
    const history = await rest.history(queued.prompt_id);
    expect(history).toMatchObject({ prompt_id: queued.prompt_id, status: 'completed', progress: 100 });
    expect(history.images).toEqual(final.images);

    const bytes = await rest.downloadImage(image ?? { filename: 'missing.png' });
    expect([...bytes.subarray(0, 4)]).toEqual(PNG_MAGIC);
  });

  it('streams sampler previews when asked to', async () => {
    await using gw = await startTestGateway({ stepMs: 10 });
    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    // Previews are never replayed, so the run lasts long enough for the stream to connect.
    const { prompt_id } = await rest.queue(txt2img({ steps: 25, size: 256 }));
    const previews: string[] = [];
    const final = await rest.streamUntilDone(prompt_id, {
      previews: true,
      onEvent: ({ event }) => {
        if (event.type === 'preview') previews.push(event.mime);
      },
    });
    expect(final.status).toBe('completed');
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0]).toMatch(/^image\//);
  });

  it('runs text2img with an Idempotency-Key: a retry returns the same job', async () => {
    await using gw = await startTestGateway();
    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    const params = { caption: 'a red bicycle', width: 512, height: 512, steps: 4, seed: 42 };
    const first = await rest.text2img(params, { idempotencyKey: 'client-test-1' });
    const again = await rest.text2img(params, { idempotencyKey: 'client-test-1' });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ seed: 42, workflow_source: expect.any(String) });
    await expect(rest.streamUntilDone(first.prompt_id)).resolves.toMatchObject({ status: 'completed' });
  });

  it('reports gateway errors as GatewayClientError with code, status and field errors', async () => {
    await using gw = await startTestGateway();
    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    const invalid = await rest.text2img({ caption: '   ' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(GatewayClientError);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect((invalid as GatewayClientError).fields).toHaveProperty('caption');

    const anon = createComfyGatewayClient({ url: gw.url, token: 'cgt_not-a-real-token' });
    await expect(anon.rest.status('x')).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('reads object info, ingests uploads and ComfyUI outputs, and cancels a job', async () => {
    await using gw = await startTestGateway({ stepMs: 50 });
    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    const info = await rest.objectInfo();
    expect(info['KSampler']?.name).toBe('KSampler');
    await expect(rest.objectInfo({ refresh: true })).resolves.toHaveProperty('SaveImage');

    const done = await rest.queue(txt2img({ steps: 1, size: 256 }));
    const final = await rest.streamUntilDone(done.prompt_id);
    const image = final.images?.[0];
    if (!image) throw new Error('no image');
    const bytes = await rest.downloadImage(image);
    const uploaded = await rest.ingest({
      file: new Blob([bytes], { type: 'image/png' }),
      filename: image.filename,
      promptId: done.prompt_id,
      workflow: { note: 'uploaded by the client test' },
      metadata: { caption: 'upload' },
    });
    expect(uploaded).toMatchObject({ prompt_id: done.prompt_id, mime: 'image/png', deduplicated: false });
    const pulled = await rest.ingestFromComfy({
      prompt_id: done.prompt_id,
      filename: image.filename,
      subfolder: image.subfolder,
      type: image.type,
    });
    expect(pulled).toMatchObject({ id: uploaded.id, hash: uploaded.hash, deduplicated: true });

    const slow = await rest.queue(txt2img({ steps: 200, size: 256 }));
    await expect(rest.cancel(slow.prompt_id)).resolves.toEqual({
      prompt_id: slow.prompt_id,
      cancelled: true,
    });
    const cancelled = await rest.streamUntilDone(slow.prompt_id);
    expect(['cancelled', 'interrupted']).toContain(cancelled.status);
    await expect(rest.cancel(slow.prompt_id)).resolves.toEqual({
      prompt_id: slow.prompt_id,
      cancelled: false,
    });
  });

  it('signs in and out, reads the user, one node class and the queue', async () => {
    await using gw = await startTestGateway();
    const anon = createComfyGatewayClient({ url: gw.url });
    const login = await anon.rest.login(gw.adminEmail, 'wrong password').catch((e: unknown) => e);
    expect(login).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });

    const { rest } = createComfyGatewayClient({ url: gw.url, token: gw.apiToken });
    await expect(rest.me()).resolves.toMatchObject({ email: gw.adminEmail });
    await expect(rest.nodeInfo('KSampler')).resolves.toMatchObject({ KSampler: { name: 'KSampler' } });
    await expect(rest.queueState()).resolves.toMatchObject({ running: [], pending: [] });

    const session = createComfyGatewayClient({ url: gw.url, token: gw.sessionToken });
    await session.rest.logout();
    await expect(session.rest.me()).rejects.toMatchObject({ status: 401 });
  });

  it('shows every failed call to onError, REST and tRPC alike', async () => {
    await using gw = await startTestGateway();
    const seen: string[] = [];
    await using client = createComfyGatewayClient({
      url: gw.url,
      token: 'cgt_nope',
      onError: (err) => seen.push(`${err.status} ${err.code}`),
    });
    await expect(client.rest.health()).rejects.toBeInstanceOf(GatewayClientError);
    const viaTrpc = callTrpc(() => client.trpc.auth.me.query());
    await expect(viaTrpc).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(seen).toEqual(['401 UNAUTHORIZED', '401 UNAUTHORIZED']);
  });
});
