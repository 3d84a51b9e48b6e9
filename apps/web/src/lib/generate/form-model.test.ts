import { describe, expect, it } from 'vitest';
import { boundsOf, defaultForm, formFromParams, toParams, validateForm } from './form-model.ts';
import { paramsFromWorkflow } from './provenance.ts';

describe('form model', () => {
  it('reads bounds from the shared schema', () => {
    expect(boundsOf('width')).toEqual({ min: 64, max: 4096, step: 1 });
    expect(boundsOf('cfg')).toMatchObject({ min: 0.1, max: 20, step: 0.1 });
  });

  it('leaves empty pickers and unset numbers out of the request', () => {
    const form = { ...defaultForm(), caption: 'a cat', loras: [{ name: 'x.safetensors', weight: 0.5 }] };
    expect(toParams(form)).toEqual({
      caption: 'a cat',
      width: 1024,
      height: 1024,
      steps: 20,
      cfg: 7,
      batch_size: 1,
      loras: ['x.safetensors'],
      lora_weights: [0.5],
      pag: false,
      deepshrink: false,
      detail_daemon: false,
      split_sigmas: false,
    });
  });

  it('reports schema errors per field', () => {
    const { errors } = validateForm({ ...defaultForm(), caption: ' ', width: 5000 });
    expect(Object.keys(errors).sort()).toEqual(['caption', 'width']);
    expect(errors['width']?.[0]).toMatch(/4096/);
  });

  it('round-trips saved parameters', () => {
    const form = { ...defaultForm(), caption: 'x', seed: 42, sampler: 'euler', pag: true };
    expect(formFromParams(toParams(form))).toEqual(form);
  });

  it('reads parameters back from a workflow graph', () => {
    const wf = {
      '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd.safetensors' } },
      '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['4', 1] } },
      '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
      '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 768, batch_size: 1 } },
      '3': {
        class_type: 'KSampler',
        inputs: {
          seed: 9,
          steps: 12,
          cfg: 5,
          sampler_name: 'euler',
          scheduler: 'karras',
          positive: ['6', 0],
          negative: ['7', 0],
        },
      },
    };
    expect(paramsFromWorkflow(wf)).toEqual({
      seed: 9,
      steps: 12,
      cfg: 5,
      sampler: 'euler',
      scheduler: 'karras',
      caption: 'a cat',
      negative: 'blurry',
      width: 512,
      height: 768,
      batch_size: 1,
      checkpoint: 'sd.safetensors',
    });
  });
});
