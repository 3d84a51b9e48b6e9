import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, afterAll } from 'vitest';
import { loadConfig } from '../src/env.ts';
import { tempDirs } from '@comfy-gateway/test-infra';

const tempDir = tempDirs(afterAll);

describe('loadConfig: ComfyUI servers', () => {
  it('one COMFY_API_URL is one server named host:port, with the defaults', () => {
    const c = loadConfig({ COMFY_API_URL: 'http://comfy:8188/' });
    expect(c.backends).toEqual([{ name: 'comfy:8188', url: 'http://comfy:8188', weight: 1, maxInFlight: 2 }]);
    expect(c.app.comfy_api_url).toBe('http://comfy:8188/');
    expect(c).toMatchObject({ dispatchTimeoutS: 600, retryOnBackendLoss: 1 });
  });

  it('takes several comma-separated URLs', () => {
    const c = loadConfig({ COMFY_API_URL: 'http://a:1, http://b:2' });
    expect(c.backends.map((b) => b.name)).toEqual(['a:1', 'b:2']);
  });

  it('takes COMFY_BACKENDS as JSON, over COMFY_API_URL', () => {
    const c = loadConfig({
      COMFY_API_URL: 'http://ignored:1',
      COMFY_BACKENDS: JSON.stringify([
        { name: 'gpu-1', url: 'http://a:1', weight: 3, max_in_flight: 1 },
        { url: 'https://b' },
      ]),
      COMFY_DISPATCH_TIMEOUT_S: '30',
      COMFY_RETRY_ON_BACKEND_LOSS: '0',
    });
    expect(c.backends).toEqual([
      { name: 'gpu-1', url: 'http://a:1', weight: 3, maxInFlight: 1 },
      { name: 'b:443', url: 'https://b', weight: 1, maxInFlight: 2 },
    ]);
    expect(c).toMatchObject({ dispatchTimeoutS: 30, retryOnBackendLoss: 0 });
  });

  it.each([
    ['COMFY_API_URL', 'http://a:1,ftp://b'],
    ['COMFY_API_URL', 'http://a:1,http://a:1'],
    ['COMFY_BACKENDS', '[{"url":"http://a:1"},{"url":"http://a:1"}]'],
    ['COMFY_BACKENDS', '[{"name":"x","url":"http://a:1"},{"name":"x","url":"http://b:1"}]'],
    ['COMFY_BACKENDS', '[{"url":"nope"}]'],
    ['COMFY_BACKENDS', '[]'],
    ['COMFY_BACKENDS', '{'],
    ['COMFY_BACKENDS', '[{"url":"http://a:1","max_in_flight":0}]'],
    ['COMFY_DISPATCH_TIMEOUT_S', '0'],
    ['COMFY_RETRY_ON_BACKEND_LOSS', '-1'],
  ])('%s=%s stops the start naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });

  it('reads comfy_backends from CONFIG_FILE and names it when wrong', async () => {
    const dir = await tempDir('cg-env-');
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ comfy_backends: [{ name: 'one', url: 'http://a:1' }] }));
    expect(loadConfig({ CONFIG_FILE: file }).backends.map((b) => b.name)).toEqual(['one']);
    await writeFile(
      file,
      JSON.stringify({
        comfy_backends: [
          { name: 'one', url: 'http://a:1' },
          { name: 'one', url: 'http://b:1' },
        ],
      }),
    );
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(/^CONFIG_FILE: comfy_backends: duplicate/);
  });
});
