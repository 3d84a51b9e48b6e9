import { describe, expect, it } from 'vitest';
import { getJson } from '../conformance/harness.ts';
import { startComfySim } from '../sim.ts';
import { SAMPLER_NAMES, SCHEDULER_NAMES } from './lists.ts';
import { objectInfoFor } from './registry.ts';

type Info = Record<string, Record<string, unknown>>;

describe('GET /object_info', () => {
  it('describes V1 nodes with the exact inputs, lists and keys', async () => {
    await using sim = await startComfySim({ loras: ['l.safetensors'], vaes: ['v.safetensors'] });
    const info = await getJson<Info>(sim, '/object_info');
    const ks = info['KSampler'];
    expect(Object.keys(ks ?? {})).toEqual([
      'input',
      'input_order',
      'output',
      'output_is_list',
      'output_name',
      'name',
      'display_name',
      'description',
      'python_module',
      'category',
      'output_node',
    ]);
    const req = (ks?.['input'] as { required: Record<string, unknown[]> }).required;
    expect(Object.keys(req)).toEqual([
      'model',
      'seed',
      'steps',
      'cfg',
      'sampler_name',
      'scheduler',
      'positive',
      'negative',
      'latent_image',
      'denoise',
    ]);
    expect(req['model']).toEqual(['MODEL']);
    expect(req['sampler_name']?.[0]).toEqual([...SAMPLER_NAMES]);
    expect(req['scheduler']?.[0]).toEqual([...SCHEDULER_NAMES]);
    expect(req['steps']).toEqual(['INT', { default: 20, min: 1, max: 10000 }]);
    expect(info['LoraLoader']?.['display_name']).toBe('Load LoRA');
    expect(
      (info['VAELoader']?.['input'] as { required: { vae_name: unknown[] } }).required.vae_name[0],
    ).toEqual(['v.safetensors', 'pixel_space']);
    expect(info['SaveImage']).toMatchObject({
      output_node: true,
      output: [],
      python_module: 'nodes',
      input: { hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } },
      input_order: { required: ['images', 'filename_prefix'], hidden: ['prompt', 'extra_pnginfo'] },
    });
    expect(info['SplitSigmas']).toMatchObject({
      output: ['SIGMAS', 'SIGMAS'],
      output_name: ['high_sigmas', 'low_sigmas'],
    });
    expect(info['DisableNoise']?.['input']).toEqual({ required: {} });
    expect(info['DetailDaemonSamplerNode']).toMatchObject({
      python_module: 'custom_nodes.ComfyUI-Detail-Daemon',
      display_name: 'Detail Daemon Sampler',
      output: ['SAMPLER'],
    });
    for (const name of [
      'CheckpointLoaderSimple',
      'CLIPTextEncode',
      'EmptyLatentImage',
      'KSamplerAdvanced',
      'VAEDecode',
      'LoraLoaderModelOnly',
      'CLIPSetLastLayer',
      'EmptyImage',
      'ImageInvert',
      'LoadImage',
      'GetImageSize',
      'PreviewImage',
      'BasicScheduler',
      'KSamplerSelect',
      'RandomNoise',
      'CFGGuider',
      'BasicGuider',
      'SamplerCustomAdvanced',
      'SamplerCustom',
    ]) {
      expect(info[name]?.['name']).toBe(name);
    }
  });

  it('describes V3 nodes with COMBO options and null fields, and keeps the exact seed maximum', async () => {
    await using sim = await startComfySim();
    const text = await (await fetch(`${sim.url}/object_info/KSampler`)).text();
    expect(text).toContain('"max":18446744073709551615');
    const info = await getJson<Info>(sim, '/object_info');
    const pag = info['PerturbedAttentionGuidance'];
    expect(pag).toMatchObject({
      display_name: null,
      output_tooltips: [null],
      deprecated: false,
      experimental: false,
      api_node: false,
      category: 'model_patches/unet',
    });
    expect(Object.keys(pag ?? {})).toEqual([
      'input',
      'input_order',
      'output',
      'output_is_list',
      'output_name',
      'output_tooltips',
      'name',
      'display_name',
      'description',
      'python_module',
      'category',
      'output_node',
      'deprecated',
      'experimental',
      'api_node',
    ]);
    const shrink = info['PatchModelAddDownscale'];
    expect(shrink?.['display_name']).toBe('PatchModelAddDownscale (Kohya Deep Shrink)');
    const req = (shrink?.['input'] as { required: Record<string, unknown[]> }).required;
    expect(req['downscale_method']).toEqual([
      'COMBO',
      { options: ['bicubic', 'nearest-exact', 'bilinear', 'area', 'bislerp'], multiselect: false },
    ]);
    expect(req['block_number']).toEqual(['INT', { default: 3, min: 1, max: 32, step: 1 }]);
  });

  it('answers {} for an unknown class, drops Detail Daemon when asked and merges extra entries', async () => {
    await using sim = await startComfySim({
      customNodes: false,
      extraObjectInfo: { Padding: { name: 'Padding' } },
    });
    expect(await getJson(sim, '/object_info/NoSuchNode')).toEqual({});
    expect(await getJson(sim, '/api/object_info/Padding')).toEqual({ Padding: { name: 'Padding' } });
    const info = await getJson<Info>(sim, '/object_info');
    expect(info['DetailDaemonSamplerNode']).toBeUndefined();
    expect(info['Padding']).toEqual({ name: 'Padding' });
  });
});

describe('objectInfoFor', () => {
  it('builds the same body as the server without starting one', async () => {
    await using sim = await startComfySim();
    const served = await getJson<Info>(sim, '/object_info');
    expect(objectInfoFor()).toEqual(served);
    const custom = objectInfoFor({
      checkpoints: ['only.safetensors'],
      inputFiles: ['a.png'],
      customNodes: false,
    }) as Info;
    expect(
      (custom['CheckpointLoaderSimple']?.['input'] as { required: { ckpt_name: unknown[] } }).required
        .ckpt_name[0],
    ).toEqual(['only.safetensors']);
    expect((custom['LoadImage']?.['input'] as { required: { image: unknown[] } }).required.image[0]).toEqual([
      'a.png',
    ]);
    expect(custom['DetailDaemonSamplerNode']).toBeUndefined();
  });
});
