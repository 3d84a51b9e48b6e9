import type { Workflow } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { newRecord, percentOf } from './job-record.ts';

const graph: Workflow = {
  ckpt: { class_type: 'CheckpointLoaderSimple', inputs: {} },
  text: { class_type: 'CLIPTextEncode', inputs: {} },
  sampler: { class_type: 'KSampler', inputs: { steps: 20 } },
  decode: { class_type: 'VAEDecode', inputs: {} },
  save: { class_type: 'SaveImage', inputs: {} },
};

function running(prompt: Workflow, done: string[], node: string, value: number, max: number) {
  const job = newRecord('p', { prompt, ownSocket: true, now: 0 });
  job.status = 'running';
  for (const id of done) job.done.add(id);
  Object.assign(job, { node, value, max });
  return job;
}

describe('percentOf', () => {
  it('weighs a sampler by its steps, so the loaders do not make a run look half done', () => {
    // Weights 1 + 1 + 20 + 1 + 1; two small nodes done and 1 of 20 steps: (2 + 1) / 24.
    expect(percentOf(running(graph, ['ckpt', 'text'], 'sampler', 1, 20))).toBe(12.5);
    expect(percentOf(running(graph, ['ckpt', 'text'], 'sampler', 20, 20))).toBe(91.7);
    expect(percentOf(running(graph, ['ckpt', 'text', 'sampler', 'decode'], 'save', 0, 1))).toBe(95.8);
  });

  it('shares the scheduler steps between split custom-sampler stages, and leaves cached nodes out', () => {
    const split: Workflow = {
      sched: { class_type: 'BasicScheduler', inputs: { steps: 10 } },
      high: { class_type: 'SamplerCustomAdvanced', inputs: {} },
      low: { class_type: 'SamplerCustomAdvanced', inputs: {} },
      save: { class_type: 'SaveImage', inputs: {} },
    };
    // Weights 1 + 5 + 5 + 1; high done, low half way: (1 + 5 + 2.5) / 12.
    expect(percentOf(running(split, ['sched', 'high'], 'low', 2.5, 5))).toBe(70.8);
    const job = running(graph, [], 'sampler', 10, 20);
    job.cached.add('ckpt').add('text');
    expect(percentOf(job)).toBe(45.5);
  });
});
