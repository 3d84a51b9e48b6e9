import { objectInfoFor } from '@comfy-gateway/comfy-sim';
import { text2ImgParamsSchema } from '@comfy-gateway/schema';
import type { ComfyObjectInfo, Text2ImgInput, Workflow } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { buildText2Img } from './build-text2img.ts';
import { checkGraph as checkGraphAgainst } from './fixtures/check-graph.ts';
import { validateWorkflow } from './validate.ts';

const info = objectInfoFor({}) as ComfyObjectInfo;
const params = (over: Partial<Text2ImgInput> = {}) =>
  text2ImgParamsSchema.parse({ caption: 'a lighthouse', ...over });

// The simulator's definitions; the protocol test checks the same graphs against the hand-copied ones.
const checkGraph = (workflow: Workflow) => checkGraphAgainst(workflow, info);

describe('buildText2Img', () => {
  it('builds the reference graph of comfy-protocol §4.4', () => {
    const built = buildText2Img(
      params({ steps: 25, cfg: 7, sampler: 'dpmpp_2m', scheduler: 'karras', negative: 'blurry' }),
      { seed: 123456789 },
    );
    expect(built.source).toBe('builtin');
    const classes = Object.values(built.workflow)
      .map((n) => n.class_type)
      .sort();
    expect(classes).toEqual([
      'CLIPTextEncode',
      'CLIPTextEncode',
      'CheckpointLoaderSimple',
      'EmptyLatentImage',
      'KSampler',
      'SaveImage',
      'VAEDecode',
    ]);
    expect(built.workflow['sampler']?.inputs).toEqual({
      seed: 123456789,
      steps: 25,
      cfg: 7,
      sampler_name: 'dpmpp_2m',
      scheduler: 'karras',
      denoise: 1,
      model: ['checkpoint', 0],
      positive: ['positive', 0],
      negative: ['negative', 0],
      latent_image: ['latent', 0],
    });
    expect(built.workflow['decode']?.inputs).toEqual({ samples: ['sampler', 0], vae: ['checkpoint', 2] });
    expect(built.workflow['save']?.inputs).toEqual({
      images: ['decode', 0],
      filename_prefix: 'comfy-gateway',
    });
    expect(checkGraph(built.workflow)).toEqual([]);
  });

  const combos: Array<Partial<Text2ImgInput>> = [];
  for (const pag of [false, true])
    for (const deepshrink of [false, true])
      for (const split_sigmas of [false, true])
        for (const detail_daemon of [false, true])
          for (const loras of [
            [],
            ['detail_tweaker.safetensors'],
            ['detail_tweaker.safetensors', 'film_grain.safetensors'],
          ])
            combos.push({
              pag,
              deepshrink,
              split_sigmas,
              detail_daemon,
              loras,
              lora_weights: loras.map(() => 0.7),
            });

  it.each(combos)('builds a valid graph for %o', (switches) => {
    const built = buildText2Img(params({ steps: 8, ...switches }), { seed: 42 });
    expect(checkGraph(built.workflow)).toEqual([]);
    expect(validateWorkflow(built.workflow, info, built.fieldOf)).toEqual({ ok: true });
    const classes = Object.values(built.workflow).map((n) => n.class_type);
    expect(classes.includes('PerturbedAttentionGuidance')).toBe(switches.pag);
    expect(classes.includes('PatchModelAddDownscale')).toBe(switches.deepshrink);
    expect(classes.includes('DetailDaemonSamplerNode')).toBe(switches.detail_daemon);
    expect(classes.filter((c) => c === 'LoraLoader')).toHaveLength(switches.loras?.length ?? 0);
    const stages = classes.filter((c) => c === 'SamplerCustomAdvanced').length;
    expect(stages).toBe(switches.split_sigmas ? 2 : switches.detail_daemon ? 1 : 0);
    expect(classes.includes('KSampler')).toBe(!switches.split_sigmas && !switches.detail_daemon);
  });

  it('chains LoRAs into the model path and both text encoders, and stacks LoRA -> PAG -> deep shrink', () => {
    const built = buildText2Img(
      params({ loras: ['a', 'b'], lora_weights: [0.5, 0.8], pag: true, deepshrink: true }),
      { seed: 1 },
    );
    const w = built.workflow;
    expect(w['lora_1']?.inputs).toMatchObject({
      model: ['checkpoint', 0],
      clip: ['checkpoint', 1],
      strength_model: 0.5,
      strength_clip: 0.5,
    });
    expect(w['lora_2']?.inputs).toMatchObject({
      model: ['lora_1', 0],
      clip: ['lora_1', 1],
      strength_model: 0.8,
    });
    expect(w['positive']?.inputs['clip']).toEqual(['lora_2', 1]);
    expect(w['pag']?.inputs).toEqual({ model: ['lora_2', 0], scale: 3 });
    expect(w['deepshrink']?.inputs['model']).toEqual(['pag', 0]);
    expect(w['sampler']?.inputs['model']).toEqual(['deepshrink', 0]);
    expect(built.fieldOf('lora_2', 'lora_name')).toBe('loras.1');
  });

  it('splits sigmas into a noisy and a noiseless stage, Detail Daemon wrapping the sampler', () => {
    const w = buildText2Img(
      params({ steps: 10, split_sigmas: true, split_step: 4, detail_daemon: true, detail_amount: 0.3 }),
      { seed: 9 },
    ).workflow;
    expect(w['split']?.inputs).toEqual({ sigmas: ['scheduler', 0], step: 4 });
    expect(w['stage_high']?.inputs).toMatchObject({
      noise: ['noise', 0],
      sigmas: ['split', 0],
      sampler: ['detail_daemon', 0],
      latent_image: ['latent', 0],
    });
    expect(w['stage_low']?.inputs).toMatchObject({
      noise: ['no_noise', 0],
      sigmas: ['split', 1],
      sampler: ['detail_daemon', 0],
      latent_image: ['stage_high', 0],
    });
    expect(w['detail_daemon']?.inputs).toMatchObject({
      sampler: ['sampler_select', 0],
      detail_amount: 0.3,
      cfg_scale_override: 0,
      smooth: true,
    });
    expect(w['noise']?.inputs).toEqual({ noise_seed: 9 });
    expect(w['decode']?.inputs['samples']).toEqual(['stage_low', 0]);
  });

  it('maps nodes and inputs back to the parameter behind them', () => {
    const plain = buildText2Img(params({ pag: true, deepshrink: true, loras: ['a'] }), { seed: 1 });
    expect(plain.fieldOf('checkpoint', 'ckpt_name')).toBe('checkpoint');
    expect(plain.fieldOf('lora_1', 'lora_name')).toBe('loras.0');
    expect(plain.fieldOf('sampler', 'sampler_name')).toBe('sampler');
    expect(plain.fieldOf('sampler', 'scheduler')).toBe('scheduler');
    expect(plain.fieldOf('sampler')).toBe('workflow');
    expect(plain.fieldOf('pag')).toBe('pag');
    expect(plain.fieldOf('deepshrink')).toBe('deepshrink');
    expect(plain.fieldOf('positive')).toBe('workflow');
    const daemon = buildText2Img(params({ detail_daemon: true }), { seed: 1 });
    expect(daemon.fieldOf('detail_daemon')).toBe('detail_daemon');
    expect(daemon.fieldOf('stage')).toBe('detail_daemon');
    expect(daemon.fieldOf('sampler_select', 'sampler_name')).toBe('sampler');
    const split = buildText2Img(params({ split_sigmas: true, detail_daemon: true }), { seed: 1 });
    expect(split.fieldOf('scheduler')).toBe('split_sigmas');
    expect(split.fieldOf('scheduler', 'scheduler')).toBe('scheduler');
    expect(split.fieldOf('detail_daemon')).toBe('detail_daemon');
  });

  it('uses the caller defaults, then the built-in ones, and the filename prefix', () => {
    const w1 = buildText2Img(params(), { seed: 1 }).workflow;
    expect(w1['checkpoint']?.inputs['ckpt_name']).toBe('sd_xl_base_1.0.safetensors');
    expect(w1['sampler']?.inputs).toMatchObject({ sampler_name: 'euler', scheduler: 'normal' });
    expect(w1['negative']?.inputs['text']).toBe('');
    const opts = {
      seed: 1,
      filenamePrefix: 'run/x',
      defaults: { checkpoint: 'c.safetensors', sampler: 'heun', scheduler: 'karras' },
    };
    const w2 = buildText2Img(params({ split_sigmas: true, steps: 9 }), opts).workflow;
    expect(w2['checkpoint']?.inputs['ckpt_name']).toBe('c.safetensors');
    expect(w2['sampler_select']?.inputs['sampler_name']).toBe('heun');
    expect(w2['split']?.inputs['step']).toBe(4);
    expect(w2['save']?.inputs['filename_prefix']).toBe('run/x');
  });
});
