import { startComfySim } from '@comfy-gateway/comfy-sim';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.ts';
import { samplerGraph, tinyGraph } from '../tracker/test-rig.ts';
import { createComfyClient } from './comfy-client.ts';

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isGatewayError(err) ? err.code : String(err);
  }
};

describe('ComfyUI client against the simulator', () => {
  it('queues, reads queue and history, and streams a view', async () => {
    await using sim = await startComfySim();
    const urls: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    };
    const client = createComfyClient({ baseUrl: sim.url, timeoutMs: 5000, fetch: fetchSpy });
    const res = await client.queuePrompt({ prompt: tinyGraph(5), client_id: 'c1' });
    expect(res).toMatchObject({ prompt_id: expect.any(String), node_errors: {} });
    await expect.poll(() => client.getHistory(res.prompt_id), { timeout: 5000 }).not.toBeNull();
    const entry = await client.getHistory(res.prompt_id);
    expect(entry?.status.status_str).toBe('success');
    expect(entry?.prompt.prompt_id).toBe(res.prompt_id);
    expect(entry?.prompt.extra_data).toMatchObject({ client_id: 'c1' });
    expect(await client.getHistory('unknown')).toBeNull();
    // Dot segments would have resolved to `/history/` and `/` (a fuzz run found the 502 it gave).
    expect(await client.getHistory('.')).toBeNull();
    expect(await client.getHistory('..')).toBeNull();
    const page = await client.getHistoryPage({ maxItems: 5000 });
    expect(page.map((p) => p.prompt_id)).toContain(res.prompt_id);
    // Never the unbounded /history: every history read names an id or a capped page.
    const historyReads = urls.filter((u) => new URL(u).pathname === '/history');
    expect(historyReads.map((u) => new URL(u).searchParams.get('max_items'))).toEqual(['200']);
    const view = await client.view({ filename: 'rig_00001_.png', subfolder: '', type: 'output' });
    expect(view.contentType).toBe('image/png');
    expect(view.status).toBe(200);
    const bytes = new Uint8Array(await new Response(view.body).arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(await codeOf(client.view({ filename: 'missing.png', subfolder: '', type: 'output' }))).toBe(
      'NOT_FOUND',
    );
    expect(await client.getQueue()).toEqual({ running: [], pending: [] });
  });

  it('reads object_info, one class, system stats and features', async () => {
    await using sim = await startComfySim({ checkpoints: ['only.safetensors'] });
    const client = createComfyClient({ baseUrl: sim.url, timeoutMs: 5000 });
    const info = await client.getObjectInfo();
    expect(info['CheckpointLoaderSimple']?.input?.required?.['ckpt_name']?.[0]).toEqual(['only.safetensors']);
    expect((await client.getNodeInfo('KSampler'))?.name).toBe('KSampler');
    expect(await client.getNodeInfo('Nope')).toBeNull();
    expect((await client.getSystemStats()).system?.comfyui_version).toBe('0.3.64');
    expect(await client.getFeatures()).toMatchObject({ supports_preview_metadata: true });
    const up = await client.uploadImage({ data: new Uint8Array([1, 2, 3]), filename: 'x.png' });
    expect(up).toEqual({ name: 'x.png', subfolder: '', type: 'input' });
  });

  it('maps failures to typed errors', async () => {
    await using sim = await startComfySim();
    const client = createComfyClient({ baseUrl: sim.url, timeoutMs: 5000 });
    const bad = client.queuePrompt({
      prompt: {
        '1': { class_type: 'EmptyImage', inputs: { width: -5, height: 8, batch_size: 1, color: 0 } },
        '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
      },
    });
    const err = await bad.catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe('COMFY_VALIDATION');
    expect(
      isGatewayError(err) && (err.details as { node_errors: Record<string, unknown> }).node_errors,
    ).toHaveProperty('1');

    sim.faults.httpDelayMs = 300;
    expect(await codeOf(client.getQueue({ timeoutMs: 50 }))).toBe('COMFY_TIMEOUT');
    sim.faults.httpDelayMs = 0;
    sim.faults.failHttp({ status: 500, routes: /queue/, count: 1 });
    expect(await codeOf(client.getQueue())).toBe('UPSTREAM_ERROR');
    expect(await codeOf(client.getQueue())).toBe('ok');

    const ac = new AbortController();
    ac.abort(new Error('mine'));
    await expect(client.getQueue({ signal: ac.signal })).rejects.toThrow('mine');

    await sim.stop();
    expect(await codeOf(client.getQueue())).toBe('COMFY_UNAVAILABLE');
  });
});

describe('ComfyUI client edge cases', () => {
  it('names the missing checkpoint of the sampler graph in COMFY_VALIDATION node_errors', async () => {
    await using sim = await startComfySim({ checkpoints: ['tiny_sd15.safetensors'] });
    const client = createComfyClient({ baseUrl: sim.url, timeoutMs: 5000 });
    const err = await client.queuePrompt({ prompt: samplerGraph(1) }).catch((e: unknown) => e);
    expect(isGatewayError(err) && err.status).toBe(400);
    const details = isGatewayError(err)
      ? (err.details as { error: { type: string }; node_errors: Record<string, { class_type: string }> })
      : null;
    expect(details?.error.type).toBe('prompt_outputs_failed_validation');
    expect(details?.node_errors['4']?.class_type).toBe('CheckpointLoaderSimple');
  });

  it('reports a port nobody listens on as COMFY_UNAVAILABLE', async () => {
    const sim = await startComfySim();
    const url = sim.url;
    await sim.close();
    const client = createComfyClient({ baseUrl: url, timeoutMs: 2000 });
    const err = await client.getSystemStats().catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe('COMFY_UNAVAILABLE');
    expect(isGatewayError(err) && err.status).toBe(503);
  });

  it('rejects bodies of the wrong shape but tolerates extra fields', async () => {
    const bodies: Record<string, unknown> = {
      '/queue': { queue_running: 'nope' },
      '/prompt': { prompt_id: 'p1', number: 3, node_errors: {}, extra: true },
      '/history/p1': {
        p1: {
          prompt: [3, 'p1', {}, {}, ['2']],
          outputs: {},
          status: { status_str: 'success', completed: true, messages: [] },
          meta: {},
          future: 1,
        },
      },
    };
    const fakeFetch: typeof fetch = (input) => {
      const path = new URL(input instanceof Request ? input.url : input).pathname;
      return Promise.resolve(
        new Response(JSON.stringify(bodies[path] ?? {}), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    };
    const client = createComfyClient({ baseUrl: 'http://comfy.invalid', timeoutMs: 1000, fetch: fakeFetch });
    expect(await codeOf(client.getQueue())).toBe('UPSTREAM_ERROR');
    expect(await client.queuePrompt({ prompt: tinyGraph() })).toEqual({
      prompt_id: 'p1',
      number: 3,
      node_errors: {},
    });
    expect((await client.getHistory('p1'))?.prompt.outputs).toEqual(['2']);
  });

  it('parses queue items as tuples: 5 or 6 elements, pending sorted, a wrong item is UPSTREAM_ERROR', async () => {
    const node = { class_type: 'EmptyImage', inputs: {} };
    let queue: unknown = {
      queue_running: [[7, 'run', { '1': node }, { client_id: 'c' }, ['1'], { sensitive: 'stripped' }]],
      queue_pending: [
        [9, 'b', { '1': node }, {}, [2]],
        [8, 'a', { '1': node }],
      ],
    };
    const fakeFetch: typeof fetch = (input) => {
      const path = new URL(input instanceof Request ? input.url : input).pathname;
      const body =
        path === '/queue'
          ? queue
          : { good: { prompt: [1, 'good', { '1': node }, {}, []] }, odd: { prompt: ['x'] } };
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    };
    const client = createComfyClient({ baseUrl: 'http://comfy.invalid', timeoutMs: 1000, fetch: fakeFetch });
    const parsed = await client.getQueue();
    expect(parsed.running).toEqual([
      { number: 7, prompt_id: 'run', prompt: { '1': node }, extra_data: { client_id: 'c' }, outputs: ['1'] },
    ]);
    expect(parsed.pending.map((i) => [i.prompt_id, i.extra_data, i.outputs])).toEqual([
      ['a', {}, []],
      ['b', {}, ['2']],
    ]);
    queue = { queue_running: [], queue_pending: [[1, 42, {}]] };
    const err = await client.getQueue().catch((e: unknown) => e);
    expect(isGatewayError(err) && [err.code, err.message]).toEqual([
      'UPSTREAM_ERROR',
      'ComfyUI sent an unexpected body for /queue',
    ]);
    // A history entry that does not parse is dropped, not fatal for the page.
    const page = await client.getHistoryPage({ maxItems: 10 });
    expect(page.map((e) => e.prompt_id)).toEqual(['good']);
  });

  it('caps history pages and passes the offset', async () => {
    const urls: string[] = [];
    const fakeFetch: typeof fetch = (input) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return Promise.resolve(new Response('{}', { status: 200 }));
    };
    const client = createComfyClient({ baseUrl: 'http://comfy.invalid/', timeoutMs: 1000, fetch: fakeFetch });
    await client.getHistoryPage({ maxItems: 10, offset: 20 });
    await client.getHistoryPage({ maxItems: 1e9 });
    expect(urls).toEqual([
      'http://comfy.invalid/history?max_items=10&offset=20',
      'http://comfy.invalid/history?max_items=200',
    ]);
  });

  it('times calls out on the injected timers, not the wall clock', async () => {
    const pending: (() => void)[] = [];
    const timers = {
      setTimeout: (fn: () => void) => pending.push(fn),
      clearTimeout: () => undefined,
    };
    // Answers only when aborted, as a hung ComfyUI would.
    const hung: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const client = createComfyClient({ baseUrl: 'http://comfy.invalid', timeoutMs: 10, fetch: hung, timers });
    const call = codeOf(client.getQueue());
    expect(pending).toHaveLength(1);
    pending[0]?.();
    expect(await call).toBe('COMFY_TIMEOUT');
  });
});
