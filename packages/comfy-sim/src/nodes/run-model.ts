import { hashKey } from '../image/pattern.ts';
import { DOWNSCALE_METHODS } from './lists.ts';
import {
  keyOf,
  NodeFailure,
  num,
  type LatentValue,
  type RunFn,
  type SigmasValue,
  type Token,
} from './run-types.ts';

const token = (kind: string, ...parts: unknown[]): Token => ({ kind, key: hashKey([kind, ...parts]) });

function asLatent(v: unknown): LatentValue {
  const l = v as Partial<LatentValue> | undefined;
  return {
    kind: 'LATENT',
    width: num(l?.width, 512),
    height: num(l?.height, 512),
    batch: num(l?.batch, 1),
    key: keyOf(v),
  };
}

const sampled = (latent: LatentValue, ...parts: unknown[]): LatentValue => ({
  ...latent,
  key: hashKey(['sampled', latent.key, ...parts]),
});

function checkV3Combo(inputs: Record<string, unknown>, name: string, options: readonly string[]): void {
  const v = inputs[name];
  // V3 combos skip validation in 0.3.64, so a bad value only fails here, at run time.
  if (!options.includes(v as string)) throw new NodeFailure('ValueError', `Invalid ${name}: '${String(v)}'`);
}

/** Loaders, conditioning, model patches and the samplers. */
export const modelRunners: Record<string, RunFn> = {
  CheckpointLoaderSimple: (i) => ({
    outputs: [token('MODEL', i['ckpt_name']), token('CLIP', i['ckpt_name']), token('VAE', i['ckpt_name'])],
  }),
  VAELoader: (i) => ({ outputs: [token('VAE', i['vae_name'])] }),
  CLIPTextEncode: (i) => ({ outputs: [token('CONDITIONING', keyOf(i['clip']), i['text'])] }),
  CLIPSetLastLayer: (i) => ({ outputs: [token('CLIP', keyOf(i['clip']), i['stop_at_clip_layer'])] }),
  LoraLoader: (i) => ({
    outputs: [
      token('MODEL', keyOf(i['model']), i['lora_name'], i['strength_model']),
      token('CLIP', keyOf(i['clip']), i['lora_name'], i['strength_clip']),
    ],
  }),
  LoraLoaderModelOnly: (i) => ({
    outputs: [token('MODEL', keyOf(i['model']), i['lora_name'], i['strength_model'])],
  }),
  PerturbedAttentionGuidance: (i) => ({ outputs: [token('MODEL', keyOf(i['model']), 'pag', i['scale'])] }),
  PatchModelAddDownscale: (i) => {
    checkV3Combo(i, 'downscale_method', DOWNSCALE_METHODS);
    checkV3Combo(i, 'upscale_method', DOWNSCALE_METHODS);
    return { outputs: [token('MODEL', keyOf(i['model']), 'downscale', i)] };
  },
  EmptyLatentImage: (i) => {
    const width = num(i['width'], 512);
    const height = num(i['height'], 512);
    const batch = num(i['batch_size'], 1);
    return {
      outputs: [{ kind: 'LATENT', width, height, batch, key: hashKey(['empty', width, height, batch]) }],
    };
  },
  KSampler: async (i, ctx) => {
    const latent = asLatent(i['latent_image']);
    await ctx.sample(num(i['steps'], 20), latent.width, latent.height);
    const parts = [i['seed'], i['steps'], i['cfg'], i['sampler_name'], i['scheduler'], i['denoise']];
    return {
      outputs: [sampled(latent, keyOf(i['model']), keyOf(i['positive']), keyOf(i['negative']), ...parts)],
    };
  },
  KSamplerAdvanced: async (i, ctx) => {
    const latent = asLatent(i['latent_image']);
    const steps = Math.max(0, Math.min(num(i['end_at_step']), num(i['steps'])) - num(i['start_at_step']));
    await ctx.sample(steps, latent.width, latent.height);
    const parts = [
      i['add_noise'],
      i['noise_seed'],
      i['steps'],
      i['cfg'],
      i['sampler_name'],
      i['scheduler'],
      i['start_at_step'],
      i['end_at_step'],
    ];
    return {
      outputs: [sampled(latent, keyOf(i['model']), keyOf(i['positive']), keyOf(i['negative']), ...parts)],
    };
  },
  BasicScheduler: (i) => {
    const count = num(i['denoise'], 1) <= 0 ? 0 : num(i['steps'], 20) + 1;
    const s: SigmasValue = {
      kind: 'SIGMAS',
      count,
      key: hashKey(['sigmas', keyOf(i['model']), i['scheduler'], i['steps'], i['denoise']]),
    };
    return { outputs: [s] };
  },
  SplitSigmas: (i) => {
    const src = i['sigmas'] as SigmasValue;
    const step = num(i['step']);
    const high: SigmasValue = {
      kind: 'SIGMAS',
      count: Math.min(step + 1, src.count),
      key: hashKey([src.key, 'high', step]),
    };
    const low: SigmasValue = {
      kind: 'SIGMAS',
      count: Math.max(src.count - step, 0),
      key: hashKey([src.key, 'low', step]),
    };
    return { outputs: [high, low] };
  },
  KSamplerSelect: (i) => ({ outputs: [token('SAMPLER', i['sampler_name'])] }),
  DetailDaemonSamplerNode: (i) => ({ outputs: [token('SAMPLER', keyOf(i['sampler']), 'detail-daemon', i)] }),
  RandomNoise: (i) => ({ outputs: [token('NOISE', i['noise_seed'])] }),
  DisableNoise: () => ({ outputs: [token('NOISE', 'disabled')] }),
  CFGGuider: (i) => ({
    outputs: [token('GUIDER', keyOf(i['model']), keyOf(i['positive']), keyOf(i['negative']), i['cfg'])],
  }),
  BasicGuider: (i) => ({ outputs: [token('GUIDER', keyOf(i['model']), keyOf(i['conditioning']))] }),
  SamplerCustomAdvanced: async (i, ctx) => {
    const latent = asLatent(i['latent_image']);
    const sigmas = i['sigmas'] as SigmasValue;
    await ctx.sample(Math.max(sigmas.count - 1, 0), latent.width, latent.height);
    const out = sampled(latent, keyOf(i['noise']), keyOf(i['guider']), keyOf(i['sampler']), sigmas.key);
    return { outputs: [out, { ...out, key: hashKey([out.key, 'denoised']) }] };
  },
  SamplerCustom: async (i, ctx) => {
    const latent = asLatent(i['latent_image']);
    const sigmas = i['sigmas'] as SigmasValue;
    await ctx.sample(Math.max(sigmas.count - 1, 0), latent.width, latent.height);
    const parts = [i['add_noise'], i['noise_seed'], i['cfg'], keyOf(i['sampler']), sigmas.key];
    const out = sampled(latent, keyOf(i['model']), keyOf(i['positive']), keyOf(i['negative']), ...parts);
    return { outputs: [out, { ...out, key: hashKey([out.key, 'denoised']) }] };
  },
};

/** Classes that report per-step progress (and take stepMs instead of nodeMs). */
export const SAMPLER_CLASSES = new Set([
  'KSampler',
  'KSamplerAdvanced',
  'SamplerCustomAdvanced',
  'SamplerCustom',
]);
