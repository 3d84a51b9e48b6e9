import { objectInfoFor } from '@comfy-gateway/comfy-sim';
import { text2ImgParamsSchema } from '@comfy-gateway/schema';
import type { ComfyObjectInfo } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { buildText2Img } from './build-text2img.ts';
import { listOptions } from './node-spec.ts';
import { suggest } from './suggest.ts';
import { validateWorkflow } from './validate.ts';

const info = objectInfoFor({}) as ComfyObjectInfo;
const issuesFor = (over: Record<string, unknown>, objectInfo = info) => {
  const built = buildText2Img(text2ImgParamsSchema.parse({ caption: 'x', ...over }), { seed: 1 });
  const r = validateWorkflow(built.workflow, objectInfo, built.fieldOf);
  return r.ok ? [] : r.issues.map((i) => ({ field: i.field, code: i.code, suggestions: i.suggestions }));
};

describe('validateWorkflow', () => {
  it('names the checkpoint field and suggests close matches', () => {
    expect(issuesFor({ checkpoint: 'sd_xl_base.safetensors' })).toEqual([
      { field: 'checkpoint', code: 'value_not_in_list', suggestions: ['sd_xl_base_1.0.safetensors'] },
    ]);
  });

  it('lists the first 20 values the server offers, and how many there are', () => {
    const checkpoints = Array.from(
      { length: 25 },
      (_, i) => `model_${String(i).padStart(2, '0')}.safetensors`,
    );
    const many = objectInfoFor({ checkpoints }) as ComfyObjectInfo;
    const built = buildText2Img(text2ImgParamsSchema.parse({ caption: 'x', checkpoint: 'zzzz' }), {
      seed: 1,
    });
    const r = validateWorkflow(built.workflow, many, built.fieldOf);
    expect(r.ok ? [] : r.issues.map((i) => [i.field, i.suggestions, i.available, i.available_count])).toEqual(
      [['checkpoint', [], checkpoints.slice(0, 20), 25]],
    );
  });

  it('names sampler, scheduler and the LoRA by position', () => {
    expect(
      issuesFor({
        sampler: 'eulr',
        scheduler: 'karas',
        loras: ['detail_tweaker', 'film_grain.safetensors'],
      }).map((i) => [i.field, i.suggestions[0]]),
    ).toEqual([
      ['loras.0', 'detail_tweaker.safetensors'],
      ['sampler', 'euler'],
      ['scheduler', 'karras'],
    ]);
  });

  it('reports a switch whose node is not installed', () => {
    const withoutPack = objectInfoFor({ customNodes: false }) as ComfyObjectInfo;
    expect(issuesFor({ detail_daemon: true }, withoutPack)).toEqual([
      { field: 'detail_daemon', code: 'missing_node_class', suggestions: expect.any(Array) },
    ]);
    expect(issuesFor({ detail_daemon: true })).toEqual([]);
  });

  it('checks V3 combo options and dangling links', () => {
    const built = buildText2Img(text2ImgParamsSchema.parse({ caption: 'x', deepshrink: true }), { seed: 1 });
    const deepshrink = built.workflow['deepshrink'];
    if (deepshrink) deepshrink.inputs['upscale_method'] = 'bicubik';
    const decode = built.workflow['decode'];
    if (decode) decode.inputs['vae'] = ['nowhere', 2];
    const r = validateWorkflow(built.workflow, info, built.fieldOf);
    expect(r.ok ? [] : r.issues.map((i) => [i.field, i.code, i.suggestions[0]])).toEqual([
      ['deepshrink', 'value_not_in_list', 'bicubic'],
      ['workflow', 'bad_link', undefined],
    ]);
  });

  it('lists picker options from V1 and V3 inputs', () => {
    expect(listOptions(info, 'CheckpointLoaderSimple', 'ckpt_name')).toContain('sd_xl_base_1.0.safetensors');
    expect(listOptions(info, 'KSampler', 'scheduler')).toContain('karras');
    expect(listOptions(info, 'PatchModelAddDownscale', 'downscale_method')).toContain('bislerp');
    expect(listOptions(info, 'Nope', 'x')).toEqual([]);
    expect(suggest('zzzzzz', ['euler', 'heun'])).toEqual([]);
  });
});
