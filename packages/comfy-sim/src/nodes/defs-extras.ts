import { DOWNSCALE_METHODS, SAMPLER_NAMES, SCHEDULER_NAMES, SEED_MAX } from './lists.ts';
import { combo, float, int, link, node, v3combo } from './spec-helpers.ts';
import type { NodeDef } from './types.ts';

const cfg = float(8.0, 0.0, 100.0, { step: 0.1, round: 0.01 });
const noiseSeed = int(0, 0, SEED_MAX, { control_after_generate: true });
const v3link = (type: string) => [type, {}] as const;

/** comfy_extras nodes: the custom-sampler family, image helpers and the two V3 model patches. */
export function extraNodes(): NodeDef[] {
  const cs = (d: Omit<Parameters<typeof node>[0], 'pythonModule'>): NodeDef =>
    node({ ...d, pythonModule: 'comfy_extras.nodes_custom_sampler' });
  return [
    cs({
      name: 'BasicScheduler',
      category: 'sampling/custom_sampling/schedulers',
      required: {
        model: link('MODEL'),
        scheduler: combo(SCHEDULER_NAMES),
        steps: int(20, 1, 10000),
        denoise: float(1.0, 0.0, 1.0, { step: 0.01 }),
      },
      outputs: ['SIGMAS'],
    }),
    cs({
      name: 'SplitSigmas',
      category: 'sampling/custom_sampling/sigmas',
      required: { sigmas: link('SIGMAS'), step: int(0, 0, 10000) },
      outputs: ['SIGMAS', 'SIGMAS'],
      outputNames: ['high_sigmas', 'low_sigmas'],
    }),
    cs({
      name: 'KSamplerSelect',
      category: 'sampling/custom_sampling/samplers',
      required: { sampler_name: combo(SAMPLER_NAMES) },
      outputs: ['SAMPLER'],
    }),
    cs({
      name: 'RandomNoise',
      category: 'sampling/custom_sampling/noise',
      required: { noise_seed: noiseSeed },
      outputs: ['NOISE'],
    }),
    cs({
      name: 'DisableNoise',
      category: 'sampling/custom_sampling/noise',
      required: {},
      outputs: ['NOISE'],
    }),
    cs({
      name: 'CFGGuider',
      category: 'sampling/custom_sampling/guiders',
      required: { model: link('MODEL'), positive: link('CONDITIONING'), negative: link('CONDITIONING'), cfg },
      outputs: ['GUIDER'],
    }),
    cs({
      name: 'BasicGuider',
      category: 'sampling/custom_sampling/guiders',
      required: { model: link('MODEL'), conditioning: link('CONDITIONING') },
      outputs: ['GUIDER'],
    }),
    cs({
      name: 'SamplerCustomAdvanced',
      category: 'sampling/custom_sampling',
      required: {
        noise: link('NOISE'),
        guider: link('GUIDER'),
        sampler: link('SAMPLER'),
        sigmas: link('SIGMAS'),
        latent_image: link('LATENT'),
      },
      outputs: ['LATENT', 'LATENT'],
      outputNames: ['output', 'denoised_output'],
    }),
    cs({
      name: 'SamplerCustom',
      category: 'sampling/custom_sampling',
      required: {
        model: link('MODEL'),
        add_noise: ['BOOLEAN', { default: true }],
        noise_seed: noiseSeed,
        cfg,
        positive: link('CONDITIONING'),
        negative: link('CONDITIONING'),
        sampler: link('SAMPLER'),
        sigmas: link('SIGMAS'),
        latent_image: link('LATENT'),
      },
      outputs: ['LATENT', 'LATENT'],
      outputNames: ['output', 'denoised_output'],
    }),
    node({
      name: 'GetImageSize',
      displayName: 'Get Image Size',
      category: 'image',
      pythonModule: 'comfy_extras.nodes_images',
      required: { image: link('IMAGE') },
      hidden: { unique_id: 'UNIQUE_ID' },
      outputs: ['INT', 'INT', 'INT'],
      outputNames: ['width', 'height', 'batch_size'],
    }),
    node({
      name: 'ImageBlur',
      displayName: 'Image Blur',
      category: 'image/postprocessing',
      v3: true,
      pythonModule: 'comfy_extras.nodes_post_processing',
      required: {
        image: v3link('IMAGE'),
        blur_radius: int(1, 1, 31, { step: 1 }),
        sigma: float(1.0, 0.1, 10.0, { step: 0.1 }),
      },
      outputs: ['IMAGE'],
    }),
    node({
      name: 'PerturbedAttentionGuidance',
      displayName: null,
      category: 'model_patches/unet',
      v3: true,
      pythonModule: 'comfy_extras.nodes_pag',
      required: { model: v3link('MODEL'), scale: float(3.0, 0.0, 100.0, { step: 0.01, round: 0.01 }) },
      outputs: ['MODEL'],
    }),
    node({
      name: 'PatchModelAddDownscale',
      displayName: 'PatchModelAddDownscale (Kohya Deep Shrink)',
      category: 'model_patches/unet',
      v3: true,
      pythonModule: 'comfy_extras.nodes_model_downscale',
      required: {
        model: v3link('MODEL'),
        block_number: int(3, 1, 32, { step: 1 }),
        downscale_factor: float(2.0, 0.1, 9.0, { step: 0.001 }),
        start_percent: float(0.0, 0.0, 1.0, { step: 0.001 }),
        end_percent: float(0.35, 0.0, 1.0, { step: 0.001 }),
        downscale_after_skip: ['BOOLEAN', { default: true }],
        downscale_method: v3combo(DOWNSCALE_METHODS),
        upscale_method: v3combo(DOWNSCALE_METHODS),
      },
      outputs: ['MODEL'],
    }),
  ];
}

/** Jonseed/ComfyUI-Detail-Daemon's sampler wrapper (v1.2.0). */
export function detailDaemonNodes(): NodeDef[] {
  const unit = (def: number) => float(def, 0.0, 1.0, { step: 0.01 });
  return [
    node({
      name: 'DetailDaemonSamplerNode',
      displayName: 'Detail Daemon Sampler',
      category: 'sampling/custom_sampling/samplers',
      pythonModule: 'custom_nodes.ComfyUI-Detail-Daemon',
      required: {
        sampler: link('SAMPLER'),
        detail_amount: float(0.1, -5.0, 5.0, { step: 0.01 }),
        start: unit(0.2),
        end: unit(0.8),
        bias: unit(0.5),
        exponent: float(1.0, 0.0, 10.0, { step: 0.05 }),
        start_offset: float(0.0, -1.0, 1.0, { step: 0.01 }),
        end_offset: float(0.0, -1.0, 1.0, { step: 0.01 }),
        fade: unit(0.0),
        smooth: ['BOOLEAN', { default: true }],
        cfg_scale_override: float(0, 0.0, 100.0, { step: 0.5, round: 0.01 }),
      },
      outputs: ['SAMPLER'],
    }),
  ];
}
