// A type alias, not an interface, so graphs are assignable to index-signature types like `Workflow`.
export type ApiNode = {
  class_type: string;
  inputs: Record<string, unknown>;
};
/** The §4.4 graph: ids 3-9 always present, variants add more. */
export type Txt2ImgGraph = Record<'3' | '4' | '5' | '6' | '7' | '8' | '9', ApiNode> & Record<string, ApiNode>;

/** The §4.4 API-format txt2img graph (SDXL-shaped; ids 3-9). */
export function txt2img(
  opts: { ckpt?: string; seed?: number; steps?: number; size?: number; text?: string } = {},
): Txt2ImgGraph {
  return {
    '4': {
      class_type: 'CheckpointLoaderSimple',
      inputs: { ckpt_name: opts.ckpt ?? 'sd_xl_base_1.0.safetensors' },
    },
    '5': {
      class_type: 'EmptyLatentImage',
      inputs: { width: opts.size ?? 1024, height: opts.size ?? 1024, batch_size: 1 },
    },
    '6': {
      class_type: 'CLIPTextEncode',
      inputs: { text: opts.text ?? 'a lighthouse at dusk, detailed', clip: ['4', 1] },
    },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry, low quality', clip: ['4', 1] } },
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed: opts.seed ?? 123456789,
        steps: opts.steps ?? 25,
        cfg: 7.0,
        sampler_name: 'dpmpp_2m',
        scheduler: 'karras',
        denoise: 1.0,
        model: ['4', 0],
        positive: ['6', 0],
        negative: ['7', 0],
        latent_image: ['5', 0],
      },
    },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
  };
}

type Graph = Txt2ImgGraph;

/** §4.5 LoRA: a chain of LoraLoaders feeding the sampler and both text encoders. */
export function withLoras(g: Graph, loras: string[]): Graph {
  let model: unknown = ['4', 0];
  let clip: unknown = ['4', 1];
  loras.forEach((lora, i) => {
    const id = String(10 + i);
    g[id] = {
      class_type: 'LoraLoader',
      inputs: { model, clip, lora_name: lora, strength_model: 0.8, strength_clip: 0.8 },
    };
    model = [id, 0];
    clip = [id, 1];
  });
  g['3'].inputs['model'] = model;
  g['6'].inputs['clip'] = clip;
  g['7'].inputs['clip'] = clip;
  return g;
}

/** §4.5 PAG and deep shrink stacked on the sampler's model. */
export function withPagAndShrink(g: Graph, shrink: Record<string, unknown> = {}): Graph {
  g['11'] = { class_type: 'PerturbedAttentionGuidance', inputs: { model: ['4', 0], scale: 3.0 } };
  g['12'] = {
    class_type: 'PatchModelAddDownscale',
    inputs: {
      model: ['11', 0],
      block_number: 3,
      downscale_factor: 2.0,
      start_percent: 0.0,
      end_percent: 0.35,
      downscale_after_skip: true,
      downscale_method: 'bicubic',
      upscale_method: 'bicubic',
      ...shrink,
    },
  };
  g['3'].inputs['model'] = ['12', 0];
  return g;
}

/** §4.5 split sigmas: two SamplerCustomAdvanced stages (25 high, 27 low), optional Detail Daemon. */
export function splitSigmas(g: Graph, opts: { steps: number; split: number; detailDaemon?: boolean }): Graph {
  Reflect.deleteProperty(g, '3');
  g['20'] = {
    class_type: 'BasicScheduler',
    inputs: { model: ['4', 0], scheduler: 'karras', steps: opts.steps, denoise: 1.0 },
  };
  g['21'] = { class_type: 'SplitSigmas', inputs: { sigmas: ['20', 0], step: opts.split } };
  g['22'] = { class_type: 'KSamplerSelect', inputs: { sampler_name: 'dpmpp_2m' } };
  g['23'] = {
    class_type: 'CFGGuider',
    inputs: { model: ['4', 0], positive: ['6', 0], negative: ['7', 0], cfg: 7.0 },
  };
  g['24'] = { class_type: 'RandomNoise', inputs: { noise_seed: 123 } };
  g['26'] = { class_type: 'DisableNoise', inputs: {} };
  let sampler: unknown = ['22', 0];
  if (opts.detailDaemon) {
    g['30'] = {
      class_type: 'DetailDaemonSamplerNode',
      inputs: {
        sampler: ['22', 0],
        detail_amount: 0.1,
        start: 0.2,
        end: 0.8,
        bias: 0.5,
        exponent: 1.0,
        start_offset: 0.0,
        end_offset: 0.0,
        fade: 0.0,
        smooth: true,
        cfg_scale_override: 0,
      },
    };
    sampler = ['30', 0];
  }
  g['25'] = {
    class_type: 'SamplerCustomAdvanced',
    inputs: { noise: ['24', 0], guider: ['23', 0], sampler, sigmas: ['21', 0], latent_image: ['5', 0] },
  };
  g['27'] = {
    class_type: 'SamplerCustomAdvanced',
    inputs: { noise: ['26', 0], guider: ['23', 0], sampler, sigmas: ['21', 1], latent_image: ['25', 0] },
  };
  g['8'].inputs['samples'] = ['27', 0];
  return g;
}
