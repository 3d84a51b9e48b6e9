import { text2ImgParamsSchema } from '@comfy-gateway/schema';
import type { Text2ImgInput, Workflow } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { buildText2Img } from './build-text2img.ts';
import { checkGraph } from './fixtures/check-graph.ts';
import { FIXTURE_MODELS, fixtureObjectInfo } from './fixtures/object-info.ts';
import { validateWorkflow } from './validate.ts';

// Same graphs as build-text2img.test.ts, checked against definitions transcribed from the protocol
// notes rather than the simulator's, so a shared misreading in both would still show up.
const info = fixtureObjectInfo();
const params = (over: Partial<Text2ImgInput> = {}) =>
  text2ImgParamsSchema.parse({ caption: 'a lighthouse', ...over });
const [LORA_A, LORA_B] = FIXTURE_MODELS.loras;

/** Renames node ids so a built graph can be compared with a literal one. */
function relabel(workflow: Workflow, ids: Record<string, string>): Workflow {
  const rename = (v: unknown) =>
    Array.isArray(v) && typeof v[0] === 'string' ? [ids[v[0]] ?? v[0], v[1]] : v;
  return Object.fromEntries(
    Object.entries(workflow).map(([id, node]) => [
      ids[id] ?? id,
      { ...node, inputs: Object.fromEntries(Object.entries(node.inputs).map(([k, v]) => [k, rename(v)])) },
    ]),
  );
}

describe('buildText2Img against comfy-protocol §4', () => {
  it('reproduces the §4.4 reference prompt exactly, up to node ids', () => {
    const built = buildText2Img(
      params({
        caption: 'a lighthouse at dusk, detailed',
        negative: 'blurry, low quality',
        steps: 25,
        cfg: 7,
        sampler: 'dpmpp_2m',
        scheduler: 'karras',
      }),
      { seed: 123456789, filenamePrefix: 'ComfyUI', defaults: { checkpoint: 'sd_xl_base_1.0.safetensors' } },
    );
    const ids = {
      sampler: '3',
      checkpoint: '4',
      latent: '5',
      positive: '6',
      negative: '7',
      decode: '8',
      save: '9',
    };
    expect(relabel(built.workflow, ids)).toEqual({
      '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' } },
      '5': { class_type: 'EmptyLatentImage', inputs: { width: 1024, height: 1024, batch_size: 1 } },
      '6': {
        class_type: 'CLIPTextEncode',
        inputs: { text: 'a lighthouse at dusk, detailed', clip: ['4', 1] },
      },
      '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry, low quality', clip: ['4', 1] } },
      '3': {
        class_type: 'KSampler',
        inputs: {
          seed: 123456789,
          steps: 25,
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
    });
    expect(built.outputNodeId).toBe('save');
  });

  const combos: Array<Partial<Text2ImgInput>> = [];
  for (const pag of [false, true])
    for (const deepshrink of [false, true])
      for (const split_sigmas of [false, true])
        for (const detail_daemon of [false, true])
          for (const loras of [[], [LORA_A ?? ''], [LORA_A ?? '', LORA_B ?? '']])
            combos.push({ pag, deepshrink, split_sigmas, detail_daemon, loras });

  it.each(combos)('wires %o with links, types, inputs and combos as declared', (switches) => {
    const built = buildText2Img(params({ steps: 7, ...switches }), {
      seed: 2 ** 53 - 1,
      defaults: { checkpoint: 'sd_xl_base_1.0.safetensors' },
    });
    expect(checkGraph(built.workflow, info)).toEqual([]);
    expect(validateWorkflow(built.workflow, info, built.fieldOf)).toEqual({ ok: true });
    for (const node of Object.values(built.workflow)) {
      if (node.class_type === 'LoraLoader')
        expect(node.inputs).toMatchObject({ strength_model: 1, strength_clip: 1 });
      if (node.class_type === 'SplitSigmas') expect(node.inputs['step']).toBe(3);
    }
  });

  it('wires Detail Daemon with every documented default and the requested amount', () => {
    const w = buildText2Img(params({ detail_daemon: true, detail_amount: -0.25 }), { seed: 1 }).workflow;
    expect(w['detail_daemon']?.inputs).toEqual({
      sampler: ['sampler_select', 0],
      detail_amount: -0.25,
      start: 0.2,
      end: 0.8,
      bias: 0.5,
      exponent: 1.0,
      start_offset: 0.0,
      end_offset: 0.0,
      fade: 0.0,
      smooth: true,
      cfg_scale_override: 0,
    });
    expect(w['scheduler']?.inputs).toMatchObject({ model: ['checkpoint', 0], steps: 20, denoise: 1 });
    expect(w['stage']?.inputs).toEqual({
      noise: ['noise', 0],
      guider: ['guider', 0],
      sampler: ['detail_daemon', 0],
      sigmas: ['scheduler', 0],
      latent_image: ['latent', 0],
    });
    expect(w['decode']?.inputs['samples']).toEqual(['stage', 0]);
  });

  it('wires deep shrink with the documented defaults and PAG with its scale', () => {
    const w = buildText2Img(params({ deepshrink: true, pag: true, pag_scale: 4.5 }), { seed: 1 }).workflow;
    expect(w['pag']?.inputs).toEqual({ model: ['checkpoint', 0], scale: 4.5 });
    expect(w['deepshrink']?.inputs).toEqual({
      model: ['pag', 0],
      block_number: 3,
      downscale_factor: 2.0,
      start_percent: 0.0,
      end_percent: 0.35,
      downscale_after_skip: true,
      downscale_method: 'bicubic',
      upscale_method: 'bicubic',
    });
  });
});

describe('seeds', () => {
  it('takes any integer up to 2^53-1 and refuses the rest', () => {
    for (const seed of [0, 2 ** 53 - 1])
      expect(buildText2Img(params(), { seed }).workflow['sampler']?.inputs['seed']).toBe(seed);
    for (const seed of [-1, 1.5, 2 ** 53, Number.NaN])
      expect(() => buildText2Img(params(), { seed })).toThrow(RangeError);
    const split = buildText2Img(params({ split_sigmas: true }), { seed: 2 ** 53 - 1 }).workflow;
    expect(split['noise']?.inputs['noise_seed']).toBe(2 ** 53 - 1);
  });
});

describe('validateWorkflow against the protocol definitions', () => {
  it('names the field and suggests close matches for V1 and V3 combos', () => {
    const built = buildText2Img(
      params({ checkpoint: 'sd_xl_base.safetensors', loras: ['add_detial'], deepshrink: true }),
      { seed: 1 },
    );
    const node = built.workflow['deepshrink'];
    if (node) node.inputs['downscale_method'] = 'bislerpp';
    const r = validateWorkflow(built.workflow, info, built.fieldOf);
    expect(r.ok ? [] : r.issues.map((i) => [i.field, i.input, i.code, i.suggestions[0]])).toEqual([
      ['checkpoint', 'ckpt_name', 'value_not_in_list', 'sd_xl_base_1.0.safetensors'],
      ['loras.0', 'lora_name', 'value_not_in_list', 'add_detail.safetensors'],
      ['deepshrink', 'downscale_method', 'value_not_in_list', 'bislerp'],
    ]);
  });

  it('reports Detail Daemon missing as the detail_daemon field, on both paths', () => {
    const bare = fixtureObjectInfo({ customNodes: false });
    for (const split_sigmas of [false, true]) {
      const built = buildText2Img(params({ detail_daemon: true, split_sigmas }), { seed: 1 });
      const r = validateWorkflow(built.workflow, bare, built.fieldOf);
      expect(r.ok ? [] : r.issues.map((i) => [i.field, i.code, i.class_type])).toEqual([
        ['detail_daemon', 'missing_node_class', 'DetailDaemonSamplerNode'],
      ]);
    }
  });

  it('reports links of the wrong type and required inputs left out', () => {
    const built = buildText2Img(params(), { seed: 1 });
    const sampler = built.workflow['sampler'];
    if (sampler) {
      sampler.inputs['model'] = ['checkpoint', 1];
      delete sampler.inputs['steps'];
    }
    const r = validateWorkflow(built.workflow, info, built.fieldOf);
    expect(r.ok ? [] : r.issues.map((i) => [i.node_id, i.input, i.code])).toEqual([
      ['sampler', 'model', 'bad_link'],
      ['sampler', 'steps', 'missing_input'],
    ]);
  });
});
