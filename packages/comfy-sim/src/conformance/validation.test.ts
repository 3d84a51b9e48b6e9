import { describe, expect, it } from 'vitest';
import { startComfySim } from '../sim.ts';
import { MISSING_LINK, SDXL_MISSING_CHECKPOINT_BODY, VALIDATION_CASES } from './bodies.ts';
import { emptySave } from './fixtures.ts';
import { txt2img } from './graphs.ts';
import { connect, postJson } from './harness.ts';

describe('POST /prompt validation (transcripts §5.3)', () => {
  for (const c of VALIDATION_CASES) {
    it(`answers 400 with the recorded body: ${c.name}`, async () => {
      await using sim = await startComfySim();
      const r = await postJson(sim, '/prompt', { ...c.request, client_id: 'v' });
      expect(r.status).toBe(400);
      expect(r.json).toEqual(c.body);
    });
  }

  it('reports a link to a missing node as exception_during_validation with a traceback', async () => {
    await using sim = await startComfySim();
    const r = await postJson(sim, '/prompt', MISSING_LINK.request);
    expect(r.status).toBe(400);
    const body = r.json as {
      error: unknown;
      node_errors: Record<
        string,
        { errors: { extra_info: Record<string, unknown> }[]; dependent_outputs: string[]; class_type: string }
      >;
    };
    expect(body.error).toEqual(MISSING_LINK.error);
    const entry = body.node_errors['2'];
    expect(entry?.errors[0]).toMatchObject(MISSING_LINK.nodeError);
    expect(entry?.errors[0]?.extra_info['exception_type']).toBe('KeyError');
    expect(Array.isArray(entry?.errors[0]?.extra_info['traceback'])).toBe(true);
    expect(entry?.dependent_outputs).toEqual(['2']);
    expect(entry?.class_type).toBe('SaveImage');
  });

  it('matches run (g): SDXL checkpoint missing from the list', async () => {
    await using sim = await startComfySim({ checkpoints: ['tiny_sd15.safetensors'] });
    const r = await postJson(sim, '/prompt', { prompt: txt2img() });
    expect(r.status).toBe(400);
    expect(r.json).toEqual(SDXL_MISSING_CHECKPOINT_BODY);
  });

  it('abbreviates long combo lists, checks return types and coerces like Python', async () => {
    await using sim = await startComfySim();
    const g = txt2img({ size: 64, steps: 1 });
    g['3'].inputs['sampler_name'] = 'nope';
    g['8'].inputs['vae'] = ['4', 0];
    let r = await postJson(sim, '/prompt', { prompt: g });
    const errs = (
      r.json as {
        node_errors: Record<
          string,
          { errors: { type: string; details: string; extra_info: Record<string, unknown> }[] }
        >;
      }
    ).node_errors;
    expect(errs['3']?.errors[0]).toMatchObject({
      type: 'value_not_in_list',
      details: "sampler_name: 'nope' not in (list of length 42)",
      extra_info: { input_config: null },
    });
    expect(errs['8']?.errors[0]).toMatchObject({
      type: 'return_type_mismatch',
      details: 'vae, received_type(MODEL) mismatch input_type(VAE)',
      extra_info: { received_type: 'MODEL', linked_node: ['4', 0] },
    });
    const ok = txt2img({ size: 64, steps: 1 });
    ok['3'].inputs['steps'] = '2';
    ok['3'].inputs['cfg'] = 101;
    r = await postJson(sim, '/prompt', { prompt: ok });
    expect(
      (r.json as { node_errors: Record<string, { errors: { message: string }[] }> }).node_errors['3']
        ?.errors[0]?.message,
    ).toBe('Value 101.0 bigger than max of 100.0');
    ok['3'].inputs['cfg'] = 7;
    r = await postJson(sim, '/prompt', { prompt: ok });
    expect(r.status).toBe(200);
  });

  it('does not check V3 COMBO values at validation time; they fail at run time', async () => {
    await using sim = await startComfySim();
    const g = txt2img({ size: 64, steps: 1 });
    g['12'] = {
      class_type: 'PatchModelAddDownscale',
      inputs: {
        model: ['4', 0],
        block_number: 3,
        downscale_factor: 2,
        start_percent: 0,
        end_percent: 0.35,
        downscale_after_skip: true,
        downscale_method: 'nope',
        upscale_method: 'bicubic',
      },
    };
    g['3'].inputs['model'] = ['12', 0];
    const c = await connect(sim, 'v3');
    const r = await postJson(sim, '/prompt', { prompt: g, client_id: 'v3' });
    expect(r.status).toBe(200);
    const id = (r.json as { prompt_id: string }).prompt_id;
    const frames = await c.runFrames(id, 0);
    expect(
      frames.some(
        (f) =>
          f.kind === 'text' &&
          f.type === 'execution_error' &&
          f.data['node_type'] === 'PatchModelAddDownscale',
      ),
    ).toBe(true);
    g['12'].inputs['block_number'] = 33;
    const bad = await postJson(sim, '/prompt', { prompt: g });
    expect(JSON.stringify(bad.json)).toContain('value_bigger_than_max');
    await c.close();
  });
});

describe('the prompt number counter (transcripts §4.2)', () => {
  it('burns numbers on 400s (even no_prompt), gives -counter for front, keeps explicit numbers', async () => {
    await using sim = await startComfySim({ nodeMs: 30 });
    const numbers: unknown[] = [];
    const post = async (body: Record<string, unknown>) => {
      const r = await postJson(sim, '/prompt', body);
      numbers.push(r.status === 200 ? (r.json as { number: number }).number : r.status);
    };
    await post({ prompt: emptySave('n') });
    await post({ client_id: 'x' });
    await post({ prompt: { '1': { class_type: 'Nope', inputs: {} } } });
    await post({ prompt: emptySave('n', 1) });
    await post({ prompt: emptySave('n', 2), front: true });
    await post({ prompt: emptySave('n', 3), number: 2.5 });
    await post({ prompt: emptySave('n', 4) });
    expect(numbers).toEqual([0, 400, 400, 3, -4, 2.5, 5]);
    expect(sim.stats.promptsAccepted).toBe(5);
  });
});
