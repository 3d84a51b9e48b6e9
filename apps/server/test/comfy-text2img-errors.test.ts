import { DEFAULT_CHECKPOINTS } from '@comfy-gateway/comfy-sim';
import { describe, expect, it } from 'vitest';
import { startComfyApp } from './comfy-fixture.ts';
import type { ComfyTestApp } from './comfy-fixture.ts';

type ErrorBody = {
  error: {
    code: string;
    message: string;
    details?: {
      fields?: Record<string, string[]>;
      suggestions?: Record<string, string[]>;
      available?: Record<string, string[]>;
    };
  };
};

async function text2imgError(app: ComfyTestApp, json: Record<string, unknown>) {
  const res = await app.request('/api/comfy/text2img', { token: app.adminToken, method: 'POST', json });
  expect(res.status).toBe(400);
  return ((await res.json()) as ErrorBody).error;
}

describe('text2img errors say what to pick from', () => {
  it('lists what the server offers when no checkpoint is close', async () => {
    await using app = await startComfyApp();
    const error = await text2imgError(app, { caption: 'x', checkpoint: 'zzzzqqqq' });
    expect(error.details?.suggestions).toEqual({});
    expect(error.details?.available).toEqual({ checkpoint: DEFAULT_CHECKPOINTS });
    expect(error.message).toBe(
      `checkpoint: "zzzzqqqq" is not available on this ComfyUI server; nothing close, available: ${DEFAULT_CHECKPOINTS.join(', ')}`,
    );
  });

  it('lists the first 20 LoRAs of many, and says how many there are', async () => {
    const loras = Array.from({ length: 30 }, (_, i) => `style_${String(i).padStart(2, '0')}.safetensors`);
    await using app = await startComfyApp({ loras });
    const error = await text2imgError(app, { caption: 'x', loras: ['qqqqqqqqqq'], lora_weights: [1] });
    expect(error.details?.available).toEqual({ 'loras.0': loras.slice(0, 20) });
    expect(error.message).toMatch(
      /^loras\.0: .*; nothing close, available: style_00\.safetensors, .* \(first 20 of 30\)$/,
    );
  });

  it('keeps close matches as suggestions, without the list', async () => {
    await using app = await startComfyApp();
    const error = await text2imgError(app, { caption: 'x', sampler: 'eulr' });
    expect(error.details?.suggestions).toEqual({ sampler: ['euler'] });
    expect(error.details?.available).toBeUndefined();
    expect(error.message).not.toContain('nothing close');
  });

  it('lists the presets when no preset id is close', async () => {
    await using app = await startComfyApp();
    const error = await text2imgError(app, { caption: 'x', preset: 'qqqqqqqqqqqq' });
    expect(error.details?.available).toEqual({ preset: ['sample_basic_sdxl', 'sd15_fast_template'] });
    expect(error.message).toContain('nothing close, available: sample_basic_sdxl, sd15_fast_template');
  });

  it('names the field a template preset cannot take (a typed error from the builder)', async () => {
    await using app = await startComfyApp();
    const error = await text2imgError(app, { caption: 'x', preset: 'sd15_fast_template', pag: true });
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toMatch(/^pag: /);
    expect(Object.keys(error.details?.fields ?? {})).toEqual(['pag']);
    expect(app.sim.stats.promptsAccepted).toBe(0);
  });
});
