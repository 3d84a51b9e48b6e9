import { describe, expect, it } from 'vitest';
import { startComfyApp } from './comfy-fixture.ts';

type ErrorBody = {
  error: {
    code: string;
    message: string;
    details?: { fields?: Record<string, string[]>; suggestions?: Record<string, string[]> };
  };
};

describe('POST /api/comfy/text2img', () => {
  it('builds, queues and runs a text-to-image job, returning the seed it used', async () => {
    await using app = await startComfyApp();
    const res = await app.request('/api/comfy/text2img', {
      token: app.adminToken,
      method: 'POST',
      json: {
        caption: 'a lighthouse at dusk',
        width: 64,
        height: 64,
        steps: 3,
        pag: true,
        loras: ['tiny_lora.safetensors'],
        lora_weights: [0.8],
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      prompt_id: string;
      seed: number;
      workflow_source: string;
      client_id: string;
    };
    expect(body).toMatchObject({ workflow_source: 'builtin', seed: expect.any(Number) });
    const final = await app.services.comfy.waitForEnd(body.prompt_id);
    expect(final.status).toBe('completed');
    expect(final.images?.[0]?.filename).toMatch(/^comfy-gateway_\d{5}_\.png$/);
    const history = (await (
      await app.request(`/api/comfy/history/${body.prompt_id}`, { token: app.adminToken })
    ).json()) as {
      workflow: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    };
    expect(history.workflow['sampler']?.inputs['seed']).toBe(body.seed);
    expect(history.workflow['pag']?.class_type).toBe('PerturbedAttentionGuidance');
  });

  it('answers 400 naming the field for every schema violation', async () => {
    await using app = await startComfyApp();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ caption: '   ' }, 'caption'],
      [{ caption: 'x', width: 4097 }, 'width'],
      [{ caption: 'x', height: 63 }, 'height'],
      [{ caption: 'x', steps: 151 }, 'steps'],
      [{ caption: 'x', cfg: 0 }, 'cfg'],
      [{ caption: 'x', seed: -1 }, 'seed'],
      [{ caption: 'x', loras: ['a', 'b'], lora_weights: [1] }, 'lora_weights'],
      [{ caption: 'x', pag: 'yes' }, 'pag'],
    ];
    for (const [json, field] of cases) {
      const res = await app.request('/api/comfy/text2img', { token: app.adminToken, method: 'POST', json });
      expect(res.status, field).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.message.startsWith(`${field}: `), body.error.message).toBe(true);
      expect(Object.keys(body.error.details?.fields ?? {})).toContain(field);
    }
    expect(app.sim.stats.promptsAccepted).toBe(0);
  });

  it('answers 400 with suggestions for a checkpoint, LoRA or sampler the server does not have', async () => {
    await using app = await startComfyApp();
    const res = await app.request('/api/comfy/text2img', {
      token: app.adminToken,
      method: 'POST',
      json: { caption: 'x', checkpoint: 'sd_xl_base.safetensors', sampler: 'eulr', loras: ['tiny_lora'] },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toMatch(/^checkpoint: /);
    expect(body.error.details?.suggestions).toEqual({
      checkpoint: ['sd_xl_base_1.0.safetensors'],
      sampler: expect.arrayContaining(['euler']),
      'loras.0': ['tiny_lora.safetensors'],
    });
    expect(app.sim.stats.promptsAccepted).toBe(0);
  });

  it('answers 400 for a switch whose node is not installed', async () => {
    await using app = await startComfyApp({ customNodes: false });
    const res = await app.request('/api/comfy/text2img', {
      token: app.adminToken,
      method: 'POST',
      json: { caption: 'x', detail_daemon: true },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body.error.details?.fields ?? {})).toEqual(['detail_daemon']);
    expect(body.error.message).toMatch(/DetailDaemonSamplerNode/);
  });

  it('applies presets under the caller’s parameters and rejects unknown ones with suggestions', async () => {
    await using app = await startComfyApp();
    const res = await app.request('/api/comfy/text2img', {
      token: app.adminToken,
      method: 'POST',
      json: { caption: 'x', preset: 'sample_basic_sdxl', width: 64, height: 64, steps: 2 },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { prompt_id: string; workflow_source: string; preset: string };
    expect(body).toMatchObject({ workflow_source: 'preset', preset: 'sample_basic_sdxl' });
    await app.services.comfy.waitForEnd(body.prompt_id);
    const wf = (await app.services.comfy.conn().client.getHistory(body.prompt_id))?.prompt.prompt;
    expect(wf?.['sampler']?.inputs).toMatchObject({
      steps: 2,
      sampler_name: 'dpmpp_2m',
      scheduler: 'karras',
      cfg: 7,
    });
    const unknown = await app.request('/api/comfy/text2img', {
      token: app.adminToken,
      method: 'POST',
      json: { caption: 'x', preset: 'sample_basic' },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as ErrorBody).error.details?.suggestions).toEqual({
      preset: ['sample_basic_sdxl'],
    });
  });

  it('honours Idempotency-Key', async () => {
    await using app = await startComfyApp();
    const send = () =>
      app.request('/api/comfy/text2img', {
        token: app.adminToken,
        method: 'POST',
        json: { caption: 'same', width: 64, height: 64, steps: 2 },
        headers: { 'Idempotency-Key': 'abc' },
      });
    const [a, b] = await Promise.all([send(), send()]);
    expect(await a.json()).toEqual(await b.json());
    expect(app.sim.stats.promptsAccepted).toBe(1);
  });
});
