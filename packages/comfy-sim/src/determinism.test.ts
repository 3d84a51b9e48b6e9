import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { txt2img } from './conformance/graphs.ts';
import { queue, waitForHistory } from './conformance/harness.ts';
import { readPngSize } from './image/png.ts';
import { startComfySim } from './sim.ts';

async function render(graph: unknown): Promise<Buffer> {
  await using sim = await startComfySim();
  const id = await queue(sim, graph);
  const entry = await waitForHistory(sim, id);
  const img = (entry['outputs'] as Record<string, { images: { filename: string }[] }>)['9']?.images[0];
  // Awaited here so the file is read before the sim (and its temp dir) is disposed.
  return await readFile(join(sim.rootDir, 'output', img?.filename ?? 'missing'));
}

describe('deterministic images', () => {
  it('gives identical PNG bytes for the same seed, text and size, different bytes otherwise', async () => {
    const opts = { size: 96, steps: 2 };
    const a = await render(txt2img({ ...opts, seed: 1 }));
    const b = await render(txt2img({ ...opts, seed: 1 }));
    const c = await render(txt2img({ ...opts, seed: 2 }));
    const d = await render(txt2img({ ...opts, seed: 1, text: 'another prompt' }));
    expect(readPngSize(a)).toEqual({ width: 96, height: 96 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a.equals(d)).toBe(false);
    // The prompt is embedded as a tEXt chunk, as SaveImage does.
    expect(a.includes(Buffer.from('tEXtprompt\0'))).toBe(true);
  });
});
