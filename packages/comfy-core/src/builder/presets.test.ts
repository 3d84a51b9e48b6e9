import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { objectInfoFor } from '@comfy-gateway/comfy-sim';
import { text2ImgParamsSchema } from '@comfy-gateway/schema';
import type { ComfyObjectInfo } from '@comfy-gateway/schema';
import { describe, expect, it, afterAll } from 'vitest';
import { applyPresetDefaults } from './apply-preset.ts';
import { buildText2Img } from './build-text2img.ts';
import { loadPresets } from './load-presets.ts';
import { validateWorkflow } from './validate.ts';
import { tempDirs } from '@comfy-gateway/test-infra';

const tempDir = tempDirs(afterAll);

const SHIPPED = fileURLToPath(new URL('../../../../config/comfy/presets', import.meta.url));
const info = objectInfoFor({}) as ComfyObjectInfo;

describe('presets', () => {
  it('loads the shipped presets, and each builds a graph valid on the simulator', async () => {
    const { presets, errors } = await loadPresets(SHIPPED);
    expect(errors).toEqual([]);
    expect([...presets.keys()]).toEqual(['sample_basic_sdxl', 'sd15_fast_template']);
    for (const [id, preset] of presets) {
      const params = text2ImgParamsSchema.parse(applyPresetDefaults({ caption: 'a fox' }, preset));
      const built = buildText2Img(params, { seed: 5, preset, presetId: id });
      expect(built.source).toBe('preset');
      expect(validateWorkflow(built.workflow, info, built.fieldOf)).toEqual({ ok: true });
    }
  });

  it('lets caller parameters win over preset defaults', async () => {
    const preset = (await loadPresets(SHIPPED)).presets.get('sample_basic_sdxl');
    if (!preset) throw new Error('missing preset');
    const merged = applyPresetDefaults({ caption: 'x', steps: 5 }, preset);
    expect(merged).toMatchObject({
      caption: 'x',
      steps: 5,
      cfg: 7,
      sampler: 'dpmpp_2m',
      scheduler: 'karras',
      width: 1024,
    });
    const switches = { name: 'S', defaults: { pag: true, pag_scale: 2, detail_amount: 0.4 } };
    expect(applyPresetDefaults({ caption: 'x', pag: false }, switches)).toEqual({
      caption: 'x',
      pag: false,
      pag_scale: 2,
      detail_amount: 0.4,
    });
  });

  it('writes parameters at a template preset’s bindings and refuses switches it cannot take', async () => {
    const preset = (await loadPresets(SHIPPED)).presets.get('sd15_fast_template');
    if (!preset) throw new Error('missing preset');
    const params = text2ImgParamsSchema.parse(applyPresetDefaults({ caption: 'a fox', seed: 3 }, preset));
    const w = buildText2Img(params, { seed: 3, preset }).workflow;
    expect(w['2']?.inputs['text']).toBe('a fox');
    expect(w['5']?.inputs).toMatchObject({ seed: 3, steps: 12, sampler_name: 'euler' });
    expect(w['1']?.inputs['ckpt_name']).toBe('v1-5-pruned-emaonly.safetensors');
    const withPag = text2ImgParamsSchema.parse({ ...params, pag: true });
    expect(() => buildText2Img(withPag, { seed: 3, preset })).toThrow(
      expect.objectContaining({
        field: 'pag',
        code: 'VALIDATION_ERROR',
        details: { fields: { pag: [expect.stringContaining('pag')] } },
      }),
    );
    const withLora = text2ImgParamsSchema.parse({ ...params, loras: ['a.safetensors'] });
    expect(() => buildText2Img(withLora, { seed: 3, preset })).toThrow(
      expect.objectContaining({ field: 'loras' }),
    );
  });

  it('reports broken preset files by name and still loads the rest', async () => {
    const dir = await tempDir('presets-');
    await writeFile(path.join(dir, 'good.json'), JSON.stringify({ name: 'Good', defaults: { steps: 4 } }));
    await writeFile(path.join(dir, 'broken.json'), '{ nope');
    await writeFile(
      path.join(dir, 'wrong.json'),
      JSON.stringify({ name: 'Wrong', defaults: { steps: 500 } }),
    );
    await writeFile(
      path.join(dir, 'unbound.json'),
      JSON.stringify({ name: 'T', workflow: { '1': { class_type: 'SaveImage', inputs: {} } } }),
    );
    const { presets, errors } = await loadPresets(dir);
    expect([...presets.keys()]).toEqual(['good']);
    expect(errors.map((e) => e.file)).toEqual(['broken.json', 'unbound.json', 'wrong.json']);
    expect(errors.find((e) => e.file === 'wrong.json')?.message).toMatch(/^defaults\.steps: /);
  });
});
