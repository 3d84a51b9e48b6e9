import type { Preset, Text2ImgParams, Workflow } from '@comfy-gateway/schema';
import { buildFromTemplate } from './from-template.ts';
import { GraphBuilder } from './graph.ts';
import type { Link } from './graph.ts';

/** What the caller decides besides the parameters: the seed, the preset and server-wide defaults. */
export interface BuildOptions {
  seed: number;
  preset?: Preset;
  /** Read off the server's object_info by the caller; used when params and preset are silent. */
  defaults?: { checkpoint?: string; sampler?: string; scheduler?: string };
  /** SaveImage prefix; `comfy-gateway` when absent. */
  filenamePrefix?: string;
  /** Echoed on the result so responses can name the preset used. */
  presetId?: string;
}

/** A graph ready to queue, its output node, and where each node came from. */
export interface BuiltWorkflow {
  workflow: Workflow;
  source: 'builtin' | 'preset';
  outputNodeId: string;
  presetId?: string;
  /** Which Text2ImgParams field a node (or one of its inputs) came from. */
  fieldOf: (nodeId: string, input?: string) => string | undefined;
}

const DETAIL_DAEMON_DEFAULTS = {
  start: 0.2,
  end: 0.8,
  bias: 0.5,
  exponent: 1.0,
  start_offset: 0.0,
  end_offset: 0.0,
  fade: 0.0,
  smooth: true,
  cfg_scale_override: 0,
};

/**
 * Turns parameters into an API-format graph: the minimal built-in text-to-image graph
 * (comfy-protocol §4.4) with each switch wired to its real node (§4.5), or a preset's template.
 * @throws TemplateFieldError (a VALIDATION_ERROR naming the field) when a template preset cannot take a switch or LoRAs.
 * @throws RangeError when `opts.seed` is not an integer in 0..2^53-1.
 */
export function buildText2Img(params: Text2ImgParams, opts: BuildOptions): BuiltWorkflow {
  // ComfyUI takes seeds up to 2^64-1, but JSON numbers past 2^53-1 lose digits on the way.
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0)
    throw new RangeError(`seed must be an integer in 0..2^53-1, got ${opts.seed}`);
  if (opts.preset?.workflow) return buildFromTemplate(params, { ...opts, preset: opts.preset });
  const g = new GraphBuilder();
  // Preset defaults normally arrive merged by applyPresetDefaults; this covers callers that skip it.
  const preset = opts.preset?.defaults;
  const checkpoint =
    params.checkpoint ?? preset?.checkpoint ?? opts.defaults?.checkpoint ?? 'sd_xl_base_1.0.safetensors';
  const sampler = params.sampler ?? preset?.sampler ?? opts.defaults?.sampler ?? 'euler';
  const scheduler = params.scheduler ?? preset?.scheduler ?? opts.defaults?.scheduler ?? 'normal';

  g.add('checkpoint', 'CheckpointLoaderSimple', { ckpt_name: checkpoint }, 'checkpoint');
  let model: Link = ['checkpoint', 0];
  let clip: Link = ['checkpoint', 1];
  (params.loras ?? []).forEach((lora, i) => {
    const id = `lora_${i + 1}`;
    const weight = params.lora_weights?.[i] ?? 1.0;
    g.add(
      id,
      'LoraLoader',
      { model, clip, lora_name: lora, strength_model: weight, strength_clip: weight },
      `loras.${i}`,
    );
    model = [id, 0];
    clip = [id, 1];
  });
  if (params.pag)
    model = g.add('pag', 'PerturbedAttentionGuidance', { model, scale: params.pag_scale ?? 3.0 }, 'pag');
  if (params.deepshrink) {
    model = g.add(
      'deepshrink',
      'PatchModelAddDownscale',
      {
        model,
        block_number: 3,
        downscale_factor: 2.0,
        start_percent: 0.0,
        end_percent: 0.35,
        downscale_after_skip: true,
        downscale_method: 'bicubic',
        upscale_method: 'bicubic',
      },
      'deepshrink',
    );
  }
  const latent = g.add('latent', 'EmptyLatentImage', {
    width: params.width,
    height: params.height,
    batch_size: params.batch_size,
  });
  const positive = g.add('positive', 'CLIPTextEncode', { text: params.caption, clip });
  const negative = g.add('negative', 'CLIPTextEncode', {
    text: params.negative ?? preset?.negative ?? '',
    clip,
  });

  let samples: Link;
  if (params.split_sigmas || params.detail_daemon) {
    samples = customSampler(g, {
      params,
      model,
      positive,
      negative,
      latent,
      sampler,
      scheduler,
      seed: opts.seed,
    });
  } else {
    samples = g.add(
      'sampler',
      'KSampler',
      {
        seed: opts.seed,
        steps: params.steps,
        cfg: params.cfg,
        sampler_name: sampler,
        scheduler,
        denoise: 1.0,
        model,
        positive,
        negative,
        latent_image: latent,
      },
      'workflow',
    );
    g.fieldFor('sampler', 'sampler_name', 'sampler');
    g.fieldFor('sampler', 'scheduler', 'scheduler');
  }
  const image = g.add('decode', 'VAEDecode', { samples, vae: ['checkpoint', 2] });
  g.add('save', 'SaveImage', { images: image, filename_prefix: opts.filenamePrefix ?? 'comfy-gateway' });
  return {
    workflow: g.workflow,
    source: opts.preset ? 'preset' : 'builtin',
    outputNodeId: 'save',
    ...(opts.presetId ? { presetId: opts.presetId } : {}),
    fieldOf: g.fieldOf,
  };
}

/** §4.5: BasicScheduler -> (SplitSigmas) -> SamplerCustomAdvanced stage(s), with Detail Daemon wrapping the sampler. */
function customSampler(
  g: GraphBuilder,
  o: {
    params: Text2ImgParams;
    model: Link;
    positive: Link;
    negative: Link;
    latent: Link;
    sampler: string;
    scheduler: string;
    seed: number;
  },
): Link {
  const { params } = o;
  const field = params.split_sigmas ? 'split_sigmas' : 'detail_daemon';
  const sigmas = g.add(
    'scheduler',
    'BasicScheduler',
    { model: o.model, scheduler: o.scheduler, steps: params.steps, denoise: 1.0 },
    field,
  );
  g.fieldFor('scheduler', 'scheduler', 'scheduler');
  let samplerLink = g.add('sampler_select', 'KSamplerSelect', { sampler_name: o.sampler }, field);
  g.fieldFor('sampler_select', 'sampler_name', 'sampler');
  if (params.detail_daemon) {
    samplerLink = g.add(
      'detail_daemon',
      'DetailDaemonSamplerNode',
      { sampler: samplerLink, detail_amount: params.detail_amount ?? 0.1, ...DETAIL_DAEMON_DEFAULTS },
      'detail_daemon',
    );
  }
  const guider = g.add(
    'guider',
    'CFGGuider',
    { model: o.model, positive: o.positive, negative: o.negative, cfg: params.cfg },
    field,
  );
  const noise = g.add('noise', 'RandomNoise', { noise_seed: o.seed }, field);
  if (!params.split_sigmas) {
    return g.add(
      'stage',
      'SamplerCustomAdvanced',
      { noise, guider, sampler: samplerLink, sigmas, latent_image: o.latent },
      field,
    );
  }
  const split = g.add(
    'split',
    'SplitSigmas',
    { sigmas, step: params.split_step ?? Math.floor(params.steps / 2) },
    'split_sigmas',
  );
  const high = g.add(
    'stage_high',
    'SamplerCustomAdvanced',
    { noise, guider, sampler: samplerLink, sigmas: split, latent_image: o.latent },
    'split_sigmas',
  );
  const noNoise = g.add('no_noise', 'DisableNoise', {}, 'split_sigmas');
  return g.add(
    'stage_low',
    'SamplerCustomAdvanced',
    { noise: noNoise, guider, sampler: samplerLink, sigmas: ['split', 1], latent_image: high },
    'split_sigmas',
  );
}
