import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { text2ImgParamsSchema } from '@comfy-gateway/schema';
import type { Preset } from '@comfy-gateway/schema';
import { describe, expect, it, afterAll } from 'vitest';
import { applyPresetDefaults } from './apply-preset.ts';
import { buildText2Img } from './build-text2img.ts';
import { checkGraph } from './fixtures/check-graph.ts';
import { fixtureObjectInfo } from './fixtures/object-info.ts';
import { loadPresets } from './load-presets.ts';
import { validateWorkflow } from './validate.ts';
import { tempDirs } from '@comfy-gateway/test-infra';

const tempDir = tempDirs(afterAll);

const SHIPPED = fileURLToPath(new URL('../../../../config/comfy/presets', import.meta.url));
const info = fixtureObjectInfo();

describe('loadPresets', () => {
  it('loads sample_basic_sdxl, which builds the §4.4 settings and passes the protocol definitions', async () => {
    const preset = (await loadPresets(SHIPPED)).presets.get('sample_basic_sdxl');
    if (!preset) throw new Error('sample_basic_sdxl did not load');
    const params = text2ImgParamsSchema.parse(
      applyPresetDefaults({ caption: 'a lighthouse at dusk' }, preset),
    );
    const built = buildText2Img(params, { seed: 7, preset, presetId: 'sample_basic_sdxl' });
    expect(built).toMatchObject({ source: 'preset', presetId: 'sample_basic_sdxl', outputNodeId: 'save' });
    expect(built.workflow['checkpoint']?.inputs['ckpt_name']).toBe('sd_xl_base_1.0.safetensors');
    expect(built.workflow['latent']?.inputs).toEqual({ width: 1024, height: 1024, batch_size: 1 });
    expect(built.workflow['sampler']?.inputs).toMatchObject({
      steps: 25,
      cfg: 7,
      sampler_name: 'dpmpp_2m',
      scheduler: 'karras',
      seed: 7,
    });
    expect(checkGraph(built.workflow, info)).toEqual([]);
    expect(validateWorkflow(built.workflow, info, built.fieldOf)).toEqual({ ok: true });
  });

  it('names each broken file and carries its zod issues', async () => {
    const dir = await tempDir('presets-');
    await writeFile(path.join(dir, 'ok.json'), JSON.stringify({ name: 'Ok', defaults: { steps: 4 } }));
    await writeFile(
      path.join(dir, 'bad_fields.json'),
      JSON.stringify({ name: '', defaults: { steps: 0, colour: 'red' } }),
    );
    await writeFile(path.join(dir, 'not_json.json'), '{ "name": ');
    await writeFile(path.join(dir, 'notes.txt'), 'ignored');
    const { presets, errors } = await loadPresets(dir);
    expect([...presets.keys()]).toEqual(['ok']);
    expect(errors.map((e) => e.file)).toEqual(['bad_fields.json', 'not_json.json']);
    const bad = errors[0];
    expect(bad?.issues?.map((i) => [i.path.join('.'), i.code])).toMatchInlineSnapshot(`
      [
        [
          "name",
          "too_small",
        ],
        [
          "defaults.steps",
          "too_small",
        ],
        [
          "defaults",
          "unrecognized_keys",
        ],
      ]
    `);
    expect(bad?.message).toContain('defaults.steps: ');
    expect(errors[1]?.message).toMatch(/^not valid JSON/);
    expect(errors[1]?.issues).toBeUndefined();
  });

  it('gives an empty result for a folder that does not exist', async () => {
    expect(await loadPresets(path.join(tmpdir(), 'no-such-presets-dir-for-tests'))).toEqual({
      presets: new Map(),
      errors: [],
    });
  });
});

describe('defaults-only presets', () => {
  const preset: Preset = {
    name: 'Film',
    defaults: {
      checkpoint: 'sd_xl_refiner_1.0.safetensors',
      sampler: 'euler_ancestral',
      scheduler: 'beta',
      negative: 'cartoon',
    },
  };

  it('fill model choices and the negative prompt even when the caller skipped applyPresetDefaults', () => {
    const params = text2ImgParamsSchema.parse({ caption: 'x' });
    const w = buildText2Img(params, {
      seed: 1,
      preset,
      defaults: { checkpoint: 'sd_xl_base_1.0.safetensors', sampler: 'euler' },
    }).workflow;
    expect(w['checkpoint']?.inputs['ckpt_name']).toBe('sd_xl_refiner_1.0.safetensors');
    expect(w['sampler']?.inputs).toMatchObject({ sampler_name: 'euler_ancestral', scheduler: 'beta' });
    expect(w['negative']?.inputs['text']).toBe('cartoon');
  });

  it('lose to what the caller sends', () => {
    const params = text2ImgParamsSchema.parse(
      applyPresetDefaults({ caption: 'x', sampler: 'heun', negative: '' }, preset),
    );
    const w = buildText2Img(params, { seed: 1, preset }).workflow;
    expect(w['sampler']?.inputs).toMatchObject({ sampler_name: 'heun', scheduler: 'beta' });
    expect(w['negative']?.inputs['text']).toBe('');
  });
});
