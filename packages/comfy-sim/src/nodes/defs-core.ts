import { IMAGE_UPSCALE_METHODS, SAMPLER_NAMES, SCHEDULER_NAMES, SEED_MAX } from './lists.ts';
import { combo, float, int, link, node } from './spec-helpers.ts';
import type { NodeDef, NodeEnv } from './types.ts';

const seed = int(0, 0, SEED_MAX, { control_after_generate: true });
const steps = int(20, 1, 10000);
const cfg = float(8.0, 0.0, 100.0, { step: 0.1, round: 0.01 });
const imageSide = int(512, 1, 16384, { step: 1 });
const latentSide = int(512, 16, 16384, { step: 8 });
const saveHidden = { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' };

/** Node classes from ComfyUI's nodes.py (python_module "nodes"). */
export function coreNodes(env: NodeEnv): NodeDef[] {
  const core = (d: Omit<Parameters<typeof node>[0], 'pythonModule'>): NodeDef =>
    node({ ...d, pythonModule: 'nodes' });
  const loraStrength = float(1.0, -100.0, 100.0, { step: 0.01 });
  return [
    core({
      name: 'CheckpointLoaderSimple',
      displayName: 'Load Checkpoint',
      category: 'loaders',
      required: {
        ckpt_name: combo(env.checkpoints, { tooltip: 'The name of the checkpoint (model) to load.' }),
      },
      outputs: ['MODEL', 'CLIP', 'VAE'],
    }),
    core({
      name: 'CLIPTextEncode',
      displayName: 'CLIP Text Encode (Prompt)',
      category: 'conditioning',
      required: { text: ['STRING', { multiline: true, dynamicPrompts: true }], clip: link('CLIP') },
      outputs: ['CONDITIONING'],
    }),
    core({
      name: 'EmptyLatentImage',
      displayName: 'Empty Latent Image',
      category: 'latent',
      required: { width: latentSide, height: latentSide, batch_size: int(1, 1, 4096) },
      outputs: ['LATENT'],
    }),
    core({
      name: 'KSampler',
      displayName: 'KSampler',
      category: 'sampling',
      required: {
        model: link('MODEL'),
        seed,
        steps,
        cfg,
        sampler_name: combo(SAMPLER_NAMES),
        scheduler: combo(SCHEDULER_NAMES),
        positive: link('CONDITIONING'),
        negative: link('CONDITIONING'),
        latent_image: link('LATENT'),
        denoise: float(1.0, 0.0, 1.0, { step: 0.01 }),
      },
      outputs: ['LATENT'],
    }),
    core({
      name: 'KSamplerAdvanced',
      displayName: 'KSampler (Advanced)',
      category: 'sampling',
      required: {
        model: link('MODEL'),
        add_noise: combo(['enable', 'disable']),
        noise_seed: seed,
        steps,
        cfg,
        sampler_name: combo(SAMPLER_NAMES),
        scheduler: combo(SCHEDULER_NAMES),
        positive: link('CONDITIONING'),
        negative: link('CONDITIONING'),
        latent_image: link('LATENT'),
        start_at_step: int(0, 0, 10000),
        end_at_step: int(10000, 0, 10000),
        return_with_leftover_noise: combo(['disable', 'enable']),
      },
      outputs: ['LATENT'],
    }),
    core({
      name: 'VAEDecode',
      displayName: 'VAE Decode',
      category: 'latent',
      required: { samples: link('LATENT'), vae: link('VAE') },
      outputs: ['IMAGE'],
    }),
    core({
      name: 'VAELoader',
      displayName: 'Load VAE',
      category: 'loaders',
      required: { vae_name: combo([...env.vaes, 'pixel_space']) },
      outputs: ['VAE'],
    }),
    core({
      name: 'LoraLoader',
      displayName: 'Load LoRA',
      category: 'loaders',
      required: {
        model: link('MODEL'),
        clip: link('CLIP'),
        lora_name: combo(env.loras),
        strength_model: loraStrength,
        strength_clip: loraStrength,
      },
      outputs: ['MODEL', 'CLIP'],
    }),
    core({
      name: 'LoraLoaderModelOnly',
      displayName: 'LoraLoaderModelOnly',
      category: 'loaders',
      required: { model: link('MODEL'), lora_name: combo(env.loras), strength_model: loraStrength },
      outputs: ['MODEL'],
    }),
    core({
      name: 'CLIPSetLastLayer',
      displayName: 'CLIP Set Last Layer',
      category: 'conditioning',
      required: { clip: link('CLIP'), stop_at_clip_layer: int(-1, -24, -1, { step: 1 }) },
      outputs: ['CLIP'],
    }),
    core({
      name: 'EmptyImage',
      displayName: 'EmptyImage',
      category: 'image',
      required: {
        width: imageSide,
        height: imageSide,
        batch_size: int(1, 1, 4096),
        color: int(0, 0, 0xffffff, { step: 1, display: 'color' }),
      },
      outputs: ['IMAGE'],
    }),
    core({
      name: 'ImageInvert',
      displayName: 'Invert Image',
      category: 'image',
      required: { image: link('IMAGE') },
      outputs: ['IMAGE'],
    }),
    core({
      name: 'ImageScale',
      displayName: 'Upscale Image',
      category: 'image/upscaling',
      required: {
        image: link('IMAGE'),
        upscale_method: combo(IMAGE_UPSCALE_METHODS),
        width: int(512, 0, 16384, { step: 1 }),
        height: int(512, 0, 16384, { step: 1 }),
        crop: combo(['disabled', 'center']),
      },
      outputs: ['IMAGE'],
    }),
    core({
      name: 'LoadImage',
      displayName: 'Load Image',
      category: 'image',
      required: { image: combo(env.inputFiles(), { image_upload: true }) },
      outputs: ['IMAGE', 'MASK'],
      customValidate: {
        inputs: ['image'],
        check: (inputs) =>
          env.inputExists(String(inputs['image'])) || `Invalid image file: ${String(inputs['image'])}`,
      },
    }),
    core({
      name: 'SaveImage',
      displayName: 'Save Image',
      category: 'image',
      outputNode: true,
      required: { images: link('IMAGE'), filename_prefix: ['STRING', { default: 'ComfyUI' }] },
      hidden: saveHidden,
      outputs: [],
    }),
    core({
      name: 'PreviewImage',
      displayName: 'Preview Image',
      category: 'image',
      outputNode: true,
      required: { images: link('IMAGE') },
      hidden: saveHidden,
      outputs: [],
    }),
  ];
}
