import { describe, expect, it } from 'vitest';
import { appConfigSchema, comfyBackendSchema } from './config.ts';
import { setJobPriorityInputSchema } from './health.ts';
import { comfyQueueRequestSchema } from './workflow.ts';
import { imageRefSchema } from './image.ts';

describe('several ComfyUI servers', () => {
  it('fills a backend’s defaults and rejects what would break dispatch, naming the field', () => {
    expect(comfyBackendSchema.parse({ url: 'http://gpu1:8188' })).toEqual({
      url: 'http://gpu1:8188',
      weight: 1,
      max_in_flight: 2,
    });
    const bad = comfyBackendSchema.safeParse({ name: 'a b', url: 'ftp://x', max_in_flight: 0, extra: 1 });
    expect(bad.error?.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual(
      ['max_in_flight', 'name', 'unrecognized_keys', 'url'].sort(),
    );
  });

  it('accepts a comma-separated comfy_api_url and a comfy_backends list', () => {
    expect(appConfigSchema.parse({ comfy_api_url: 'http://a:1,http://b:2' }).comfy_api_url).toBe(
      'http://a:1,http://b:2',
    );
    expect(appConfigSchema.safeParse({ comfy_api_url: 'http://a:1,nope' }).success).toBe(false);
    expect(appConfigSchema.safeParse({ comfy_backends: [] }).success).toBe(false);
  });

  it('bounds priority and keeps image refs of one server compatible', () => {
    expect(setJobPriorityInputSchema.safeParse({ priority: 101 }).success).toBe(false);
    expect(comfyQueueRequestSchema.safeParse({ workflow: {}, priority: 1.5 }).success).toBe(false);
    expect(imageRefSchema.parse({ filename: 'a.png' })).toEqual({
      filename: 'a.png',
      subfolder: '',
      type: 'output',
    });
    expect(imageRefSchema.parse({ filename: 'a.png', backend: 's1' }).backend).toBe('s1');
  });
});
