import { describe, expect, it } from 'vitest';
import { readPngSize } from '../image/png.ts';
import { startComfySim } from '../sim.ts';
import { parseBinaryFrame } from '../ws/parse-frame.ts';
import { STEP_TYPE1, STEP_TYPE4, TXT2IMG_EXECUTING } from './fixtures.ts';
import { splitSigmas, txt2img, withLoras, withPagAndShrink } from './graphs.ts';
import { connect, isText, queue, summarize, type Frame, type TestClient } from './harness.ts';

const kind = (f: Frame) => (f.kind === 'binary' ? summarize(f) : f.type === 'progress_state' ? 'ps' : f.type);

async function runAndCollect(
  c: TestClient,
  sim: Parameters<typeof queue>[0],
  graph: unknown,
  clientId: string,
) {
  const from = c.frames.length;
  const id = await queue(sim, graph, { client_id: clientId });
  return { id, frames: await c.runFrames(id, from) };
}

const progressOf = (frames: Frame[]) => frames.filter((f) => isText(f, 'progress')).map(summarize);

describe('sampler runs (transcripts "Sampler runs", protocol §4.4-4.5)', () => {
  it('runs the §4.4 txt2img graph: node order, per-step ps → progress → type 1, a 1024² PNG', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 's');
    const { id, frames } = await runAndCollect(c, sim, txt2img(), 's');
    const seq = frames.map(summarize);
    expect(seq.filter((s) => s.startsWith('executing ') && s !== 'executing null')).toEqual(
      TXT2IMG_EXECUTING,
    );
    expect(progressOf(frames)).toEqual(Array.from({ length: 25 }, (_, i) => `progress ${i + 1}/25 3`));
    const first = frames.findIndex((f) => isText(f, 'progress'));
    expect(frames.slice(first - 1, first + 2).map(kind)).toEqual(STEP_TYPE1);
    expect(seq).toContain('ps 3:running 4:finished 5:finished 6:finished 7:finished');
    expect(seq).toContain('ps 3:running(1/25) 4:finished 5:finished 6:finished 7:finished');
    expect(seq).toContain('ps 3:finished(25/25) 4:finished 5:finished 6:finished 7:finished');
    const bin = frames.find((f) => f.kind === 'binary');
    const parsed = bin?.kind === 'binary' ? parseBinaryFrame(bin.buf) : null;
    expect(parsed?.type === 1 && parsed.format).toBe(2);
    expect(parsed?.type === 1 && readPngSize(parsed.image)).toEqual({ width: 64, height: 64 });
    const executed = frames.find((f) => isText(f, 'executed'));
    expect(summarize(executed as Frame)).toBe('executed 9 ComfyUI_00001_.png');
    const png = Buffer.from(
      await (await fetch(`${sim.url}/view?filename=ComfyUI_00001_.png&type=output`)).arrayBuffer(),
    );
    expect(readPngSize(png)).toEqual({ width: 1024, height: 1024 });

    // New seed: model and CLIP come from the cache and the run starts at the sampler.
    const again = await runAndCollect(c, sim, txt2img({ seed: 7 }), 's');
    expect(again.frames.map(summarize)).toContain('execution_cached [4,5,6,7]');
    expect(again.frames.map(summarize).filter((s) => s.startsWith('executing 4'))).toEqual([]);
    expect(id).not.toBe(again.id);
    await c.close();
  });

  it('sends type 4 previews between progress_state and progress after feature_flags', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'meta', { featureFlags: true });
    await c.waitFor((f) => isText(f, 'feature_flags'));
    const { id, frames } = await runAndCollect(c, sim, txt2img({ steps: 3, size: 64 }), 'meta');
    const first = frames.findIndex((f) => f.kind === 'binary');
    expect(frames.slice(first - 1, first + 2).map(kind)).toEqual(STEP_TYPE4);
    expect(frames.filter((f) => f.kind === 'binary').map(summarize)).toEqual(['bin4', 'bin4', 'bin4']);
    const parsed = parseBinaryFrame((frames[first] as { buf: Buffer }).buf);
    expect(parsed.type === 4 && parsed.metadata).toEqual({
      node_id: '3',
      prompt_id: id,
      display_node_id: '3',
      parent_node_id: null,
      real_node_id: '3',
      image_type: 'image/png',
    });
    expect(parsed.type === 4 && readPngSize(parsed.image)).toEqual({ width: 8, height: 8 });
    await c.close();
  });

  it('broadcasts type 1 previews and progress when the prompt has no client_id; none with previews off', async () => {
    await using sim = await startComfySim();
    const obs = await connect(sim, 'obs', { featureFlags: true });
    await queue(sim, txt2img({ steps: 2, size: 64 }));
    await obs.waitFor((f) => summarize(f) === 'status q=0', 2);
    expect(obs.frames.filter((f) => f.kind === 'binary').map(summarize)).toEqual(['bin1', 'bin1']);
    expect(progressOf(obs.frames)).toEqual(['progress 1/2 3', 'progress 2/2 3']);
    expect(obs.frames.some((f) => isText(f, 'executing') || isText(f, 'executed'))).toBe(false);
    await obs.close();

    await using quiet = await startComfySim({ previews: false });
    const c = await connect(quiet, 'q');
    const { frames } = await runAndCollect(c, quiet, txt2img({ steps: 2, size: 64 }), 'q');
    expect(frames.some((f) => f.kind === 'binary')).toBe(false);
    expect(progressOf(frames)).toHaveLength(2);
    await c.close();
  });

  it('runs the LoRA chain, PAG and deep-shrink variants with a checkpoint from the options', async () => {
    await using sim = await startComfySim({
      checkpoints: ['tiny_sd15.safetensors'],
      loras: ['a.safetensors', 'b.safetensors'],
    });
    const c = await connect(sim, 'v');
    const base = () => txt2img({ ckpt: 'tiny_sd15.safetensors', steps: 3, size: 64 });
    const lora = await runAndCollect(c, sim, withLoras(base(), ['a.safetensors', 'b.safetensors']), 'v');
    expect(lora.frames.map(summarize)).toEqual(
      expect.arrayContaining(['executing 10', 'executing 11', 'execution_success']),
    );
    expect(progressOf(lora.frames)).toHaveLength(3);
    const pag = await runAndCollect(c, sim, withPagAndShrink(base()), 'v');
    expect(pag.frames.map(summarize)).toEqual(
      expect.arrayContaining(['executing 11', 'executing 12', 'execution_success']),
    );
    expect(progressOf(pag.frames)).toEqual(['progress 1/3 3', 'progress 2/3 3', 'progress 3/3 3']);
    await c.close();
  });

  it('splits sigmas over two SamplerCustomAdvanced stages, with and without Detail Daemon', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'split');
    const plain = await runAndCollect(
      c,
      sim,
      splitSigmas(txt2img({ size: 64 }), { steps: 6, split: 3 }),
      'split',
    );
    expect(progressOf(plain.frames)).toEqual([
      'progress 1/3 25',
      'progress 2/3 25',
      'progress 3/3 25',
      'progress 1/3 27',
      'progress 2/3 27',
      'progress 3/3 27',
    ]);
    expect(plain.frames.filter((f) => f.kind === 'binary')).toHaveLength(6);
    const dd = await runAndCollect(
      c,
      sim,
      splitSigmas(txt2img({ size: 64, seed: 9 }), { steps: 6, split: 3, detailDaemon: true }),
      'split',
    );
    expect(dd.frames.map(summarize)).toContain('executing 30');
    expect(progressOf(dd.frames)).toHaveLength(6);
    expect(dd.frames.map(summarize)).toContain('execution_success');
    await c.close();
  });

  it('interrupts mid-sampler at the next step: the last preview arrives, then execution_interrupted', async () => {
    await using sim = await startComfySim({ stepMs: 5 });
    const c = await connect(sim, 'i');
    const from = c.frames.length;
    const id = await queue(sim, txt2img({ steps: 200, size: 64 }), { client_id: 'i' });
    await c.waitFor((f) => summarize(f) === 'progress 5/200 3', from);
    await fetch(`${sim.url}/interrupt`, { method: 'POST', body: JSON.stringify({ prompt_id: id }) });
    const frames = (await c.runFrames(id, from)).map(summarize);
    const stop = frames.indexOf('execution_interrupted 3 KSampler');
    expect(stop).toBeGreaterThan(0);
    expect(frames[stop - 1]).toBe('bin1');
    expect(frames.slice(stop + 1)).toEqual(['status q=0', 'executing null']);
    expect(frames.filter((s) => s.startsWith('progress')).length).toBeLessThan(200);
    await c.close();
  });
});
