import { describe, expect, it } from 'vitest';
import { startComfySim } from '../sim.ts';
import * as fx from './fixtures.ts';
import { connect, getJson, isText, postJson, queue, summarize, waitForHistory } from './harness.ts';

type Entry = {
  status: { status_str: string; completed: boolean; messages: [string, Record<string, unknown>][] };
  outputs: Record<string, unknown>;
  meta: Record<string, unknown>;
  prompt: unknown[];
};

describe('recorded runs (transcripts §5.1, §5.2, §5.5, §5.6)', () => {
  it('replays normal, invert, fully cached and partially cached runs exactly', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'probe');
    await c.waitFor((f) => isText(f, 'status'));
    expect(summarize(c.frames[0] ?? { kind: 'binary', buf: Buffer.alloc(4) })).toBe('status q=0 sid=probe');

    const run = async (prompt: unknown) => {
      const from = c.frames.length;
      const id = await queue(sim, prompt, { client_id: 'probe' });
      return { id, seq: (await c.runFrames(id, from)).map(summarize) };
    };
    const a = await run(fx.emptySave());
    expect(a.seq).toEqual(fx.NORMAL_EMPTY_SAVE);
    const b = await run(fx.invertChain());
    expect(b.seq).toEqual(fx.NORMAL_INVERT);
    const cached = await run(fx.invertChain());
    expect(cached.seq).toEqual(fx.CACHED_RERUN);
    const partial = await run(fx.invertChain('invert2'));
    expect(partial.seq).toEqual(fx.PARTIAL_CACHE);

    const h = await getJson<Record<string, Entry>>(sim, `/history/${a.id}`);
    const entry = h[a.id];
    expect(entry?.prompt).toEqual([0, a.id, fx.emptySave(), { client_id: 'probe' }, ['2']]);
    expect(entry?.outputs).toEqual({
      '2': { images: [{ filename: 'test_00001_.png', subfolder: '', type: 'output' }] },
    });
    expect(entry?.meta).toEqual({
      '2': { node_id: '2', display_node: '2', parent_node: null, real_node_id: '2' },
    });
    expect(entry?.status.status_str).toBe('success');
    expect(entry?.status.messages.map((m) => m[0])).toEqual([
      'execution_start',
      'execution_cached',
      'execution_success',
    ]);
    // The cached rerun still lists the old image in history.
    const hc = await getJson<Record<string, Entry>>(sim, `/history/${cached.id}`);
    expect(hc[cached.id]?.outputs).toEqual({
      '3': { images: [{ filename: 'invert_00001_.png', subfolder: '', type: 'output' }] },
    });
    await c.close();
  });

  it('writes a batch under the prefix subfolder and keeps client prompt_id and extra_data', async () => {
    await using sim = await startComfySim();
    const prompt = {
      '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 16, batch_size: 2, color: 16711680 } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'sub/batch' } },
    };
    const pid = '11111111-2222-3333-4444-555555555555';
    const r = await postJson(sim, '/prompt', {
      prompt,
      client_id: 'p',
      prompt_id: pid,
      extra_data: { extra_pnginfo: { workflow: { note: 'probe' } } },
    });
    expect(r.json).toEqual({ prompt_id: pid, number: 0, node_errors: {} });
    const entry = (await waitForHistory(sim, pid)) as unknown as Entry;
    expect(entry.prompt[3]).toEqual({ extra_pnginfo: { workflow: { note: 'probe' } }, client_id: 'p' });
    expect(entry.outputs).toEqual({
      '2': {
        images: [
          { filename: 'batch_00001_.png', subfolder: 'sub', type: 'output' },
          { filename: 'batch_00002_.png', subfolder: 'sub', type: 'output' },
        ],
      },
    });
    const view = await fetch(`${sim.url}/view?filename=batch_00002_.png&subfolder=sub&type=output`);
    expect(view.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await view.arrayBuffer())
        .subarray(0, 8)
        .toString('hex'),
    ).toBe('89504e470d0a1a0a');
  });

  it('reports an execution error like the ImageBlur transcript', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'probe');
    await c.waitFor((f) => isText(f, 'status'));
    const id = await queue(sim, fx.blurGraph, { client_id: 'probe' });
    const frames = await c.runFrames(id, 1);
    expect(frames.map(summarize)).toEqual(fx.EXECUTION_ERROR);
    const err = frames.find((f) => isText(f, 'execution_error'));
    expect(err?.kind === 'text' && Object.keys(err.data)).toEqual([
      'prompt_id',
      'node_id',
      'node_type',
      'executed',
      'exception_message',
      'exception_type',
      'traceback',
      'current_inputs',
      'current_outputs',
      'timestamp',
    ]);
    expect(err?.kind === 'text' && err.data).toMatchObject({
      node_id: '2',
      node_type: 'ImageBlur',
      executed: ['1'],
      exception_message: fx.BLUR_EXCEPTION_MESSAGE,
      exception_type: 'RuntimeError',
    });
    const entry = (await waitForHistory(sim, id)) as unknown as Entry;
    expect(entry.status.status_str).toBe('error');
    expect(entry.status.completed).toBe(false);
    expect(entry.outputs).toEqual({});
    expect(entry.meta).toEqual({});
    expect(entry.status.messages.at(-1)?.[0]).toBe('execution_error');
    await c.close();
  });

  it('sends the GetImageSize TEXT frame with the recorded bytes, broadcast', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'probe');
    const other = await connect(sim, 'observer');
    await c.waitFor((f) => isText(f, 'status'));
    const id = await queue(sim, fx.sizeGraph, { client_id: 'probe' });
    const frames = await c.runFrames(id, 1);
    expect(frames.map(summarize)).toEqual(fx.TEXT_FRAME_RUN);
    const bin = frames.find((f) => f.kind === 'binary');
    expect(bin?.kind === 'binary' && bin.buf.toString('hex')).toBe(fx.TEXT_FRAME_HEX);
    const seen = await other.waitFor((f) => f.kind === 'binary');
    expect(seen.kind === 'binary' && seen.buf.toString('hex')).toBe(fx.TEXT_FRAME_HEX);
    await c.close();
    await other.close();
  });

  it('orders two outputs with a shared upstream like the server (1, 3, 2, 4)', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'probe');
    const id = await queue(sim, fx.twoOutputs, { client_id: 'probe' });
    const frames = await c.runFrames(id, 0);
    expect(frames.map(summarize).filter((s) => s.startsWith('executing ') && s !== 'executing null')).toEqual(
      fx.TWO_OUTPUTS_EXECUTING,
    );
    await c.close();
  });

  it('PreviewImage writes ComfyUI_temp_<5 letters>_00001_.png to temp', async () => {
    await using sim = await startComfySim();
    const id = await queue(sim, {
      '1': fx.emptySave()['1'],
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
    const entry = (await waitForHistory(sim, id)) as unknown as Entry;
    const img = (entry.outputs['2'] as { images: { filename: string; subfolder: string; type: string }[] })
      .images[0];
    expect(img?.filename).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    expect(img?.type).toBe('temp');
    const view = await fetch(`${sim.url}/view?filename=${img?.filename}&subfolder=&type=temp`);
    expect(view.status).toBe(200);
  });
});

describe('delivery rules (transcripts §4.8, §5.8)', () => {
  it('an observer sees only status for another client and progress_state for no client_id', async () => {
    await using sim = await startComfySim();
    const obs = await connect(sim, 'observer');
    await obs.waitFor((f) => isText(f, 'status'));
    const a = await queue(sim, fx.emptySave('o1'), { client_id: 'someone-else' });
    await waitForHistory(sim, a);
    await obs.waitFor((f) => summarize(f) === 'status q=0');
    expect(obs.frames.slice(1).map(summarize)).toEqual(fx.OBSERVER_OTHER_CLIENT);
    const from = obs.frames.length;
    await queue(sim, fx.emptySave('o2', 7));
    await obs.waitFor((f) => summarize(f) === 'status q=0', from);
    expect(obs.frames.slice(from).map(summarize)).toEqual(fx.OBSERVER_NO_CLIENT);
    await obs.close();
  });

  it('answers feature_flags once and re-announces the executing node on reconnect', async () => {
    await using sim = await startComfySim({ nodeMs: 150 });
    const c = await connect(sim, 'ff', { featureFlags: true });
    await c.waitFor((f) => isText(f, 'feature_flags'));
    expect(c.frames.map(summarize)).toEqual(['status q=0 sid=ff', 'feature_flags']);
    expect(c.frames[1]?.kind === 'text' && c.frames[1].data).toEqual({
      supports_preview_metadata: true,
      max_upload_size: 104857600,
    });
    c.ws.send(JSON.stringify({ type: 'feature_flags', data: {} }));
    const id = await queue(sim, fx.emptySave('re'), { client_id: 'ff' });
    await c.waitFor((f) => summarize(f) === 'executing 1');
    await c.close();
    const again = await connect(sim, 'ff', { path: '/api/ws' });
    const hello = await again.waitFor((f) => isText(f, 'executing'));
    expect(hello.kind === 'text' && hello.data).toEqual({ node: '1' });
    await again.runFrames(id, 0);
    // Only one feature_flags reply ever: later client messages are ignored.
    expect(c.frames.filter((f) => isText(f, 'feature_flags'))).toHaveLength(1);
    await again.close();
  });

  it('a second socket with the same clientId takes over; the first stops receiving', async () => {
    await using sim = await startComfySim();
    const first = await connect(sim, 'dup');
    const second = await connect(sim, 'dup');
    await first.close();
    const id = await queue(sim, fx.emptySave('dup'), { client_id: 'dup' });
    const frames = await second.runFrames(id, 1);
    expect(frames.map(summarize)).toEqual(fx.NORMAL_EMPTY_SAVE.map((s) => s.replace('test_', 'dup_')));
    await second.close();
  });

  it('generates a 32-hex sid when no clientId is given', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim);
    const st = await c.waitFor((f) => isText(f, 'status'));
    expect(st.kind === 'text' && st.data['sid']).toMatch(/^[0-9a-f]{32}$/);
    await c.close();
  });
});
