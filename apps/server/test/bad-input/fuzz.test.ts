import fc from 'fast-check';
import { text2ImgParamsSchema } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { startComfyApp } from '../comfy-fixture.ts';
import { makePng } from '../images.ts';
import { MARKER, expectStillServing, strayFiles } from './bad-input-kit.ts';
import type { ErrorJson } from './bad-input-kit.ts';

const RUNS = 150;

/** Never a 5xx; a 4xx carries `{error:{code,message}}` and a validation error names its field. */
async function checkAnswer(res: Response, fields: readonly string[]): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (res.status < 300) return;
  expect(res.status, text).toBeGreaterThanOrEqual(400);
  const body = JSON.parse(text) as ErrorJson;
  expect(body.error.code, text).toMatch(/^[A-Z_]+$/);
  expect(body.error.message.length, text).toBeGreaterThan(0);
  if (body.error.code !== 'VALIDATION_ERROR') return;
  const named = body.error.message.split(/[.:]/)[0] ?? '';
  expect(['input', 'body', ...fields], text).toContain(named);
}

/** A value of the right type most of the time, anything else sometimes. */
const sometimesWrong = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });

const text2imgParams = fc.record(
  {
    caption: sometimesWrong(fc.string({ maxLength: 40 })),
    negative: sometimesWrong(fc.string({ maxLength: 20 })),
    width: sometimesWrong(fc.integer({ min: -10, max: 5000 })),
    height: sometimesWrong(fc.integer({ min: 0, max: 5000 })),
    steps: sometimesWrong(fc.integer({ min: -1, max: 200 })),
    cfg: sometimesWrong(fc.double({ noNaN: false })),
    seed: sometimesWrong(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2))),
    checkpoint: sometimesWrong(fc.constantFrom('sd_xl_base_1.0.safetensors', 'missing.ckpt', '../x', '')),
    sampler: sometimesWrong(fc.constantFrom('euler', 'eulr', '')),
    scheduler: sometimesWrong(fc.constantFrom('normal', 'karras', 'nope')),
    loras: sometimesWrong(fc.array(fc.string({ maxLength: 10 }), { maxLength: 20 })),
    lora_weights: sometimesWrong(fc.array(fc.double({ min: -200, max: 200 }), { maxLength: 20 })),
    pag: sometimesWrong(fc.boolean()),
    split_sigmas: sometimesWrong(fc.boolean()),
    split_step: sometimesWrong(fc.integer({ min: 0, max: 200 })),
    preset: sometimesWrong(fc.string({ maxLength: 10 })),
    batch_size: sometimesWrong(fc.integer({ min: 0, max: 20 })),
  },
  { requiredKeys: [] },
);

describe('property-based fuzzing', () => {
  it('text2img parameters, queue bodies and view params never produce a 5xx', async () => {
    await using app = await startComfyApp({ stepMs: 0 }, { COMFY_VIEW_RATE_LIMIT_PER_MIN: '100000' });
    await app.connected();
    const post = (path: string, json: unknown) =>
      app.request(path, { token: app.adminToken, method: 'POST', json });

    await fc.assert(
      fc.asyncProperty(fc.oneof(text2imgParams, fc.anything()), async (params) =>
        checkAnswer(await post('/api/comfy/text2img', params), Object.keys(text2ImgParamsSchema.shape)),
      ),
      { numRuns: RUNS },
    );

    const node = fc.record(
      {
        class_type: sometimesWrong(fc.constantFrom('EmptyImage', 'SaveImage', 'KSampler', 'Nope')),
        inputs: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const workflow = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(node, fc.anything()), { maxKeys: 5 }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record(
            { workflow, client_id: fc.option(sometimesWrong(fc.string()), { nil: undefined }) },
            { requiredKeys: ['workflow'] },
          ),
          fc.anything(),
        ),
        async (body) => checkAnswer(await post('/api/comfy/queue', body), ['workflow', 'client_id']),
      ),
      { numRuns: RUNS },
    );

    const part = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('../', '..\\', '%2e%2e/', '%252e%252e%252f', '/', '\u0000', '\uff0e\uff0e/'),
    );
    const pathLike = fc.array(part, { maxLength: 4 }).map((ps) => ps.join('') + MARKER);
    await fc.assert(
      fc.asyncProperty(
        pathLike,
        fc.option(pathLike, { nil: undefined }),
        fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
        async (filename, subfolder, type) => {
          const q = new URLSearchParams({
            filename,
            ...(subfolder !== undefined ? { subfolder } : {}),
            ...(type !== undefined ? { type } : {}),
          });
          // Unknown images are a 404 from ComfyUI; either way an error body, never a 5xx.
          await checkAnswer(await app.request(`/api/comfy/view?${q.toString()}`, { token: app.adminToken }), [
            'filename',
            'subfolder',
            'type',
          ]);
        },
      ),
      { numRuns: RUNS },
    );
    await expectStillServing(app);
    expect(await strayFiles(app.rootDir)).toEqual([]);
  });

  it('ingest forms (multipart and JSON) never produce a 5xx nor a file outside ROOT_DIR', async () => {
    await using app = await startComfyApp({ stepMs: 0 });
    const jsonText = fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 30 }), fc.constant(''));
    const fileBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.integer({ min: 1, max: 1000 }).map((seed) => makePng(4, 4, { seed: String(seed) })),
    );
    const form = fc.record(
      {
        file: fileBytes,
        fileName: fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom(`../${MARKER}.png`, `..\\${MARKER}.png`, `/tmp/${MARKER}.png`),
        ),
        prompt_id: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 129, maxLength: 140 })),
        workflow: jsonText,
        metadata: jsonText,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(form, async (f) => {
        const body = new FormData();
        if (f.file)
          body.set('file', new Blob([f.file], { type: 'application/octet-stream' }), f.fileName ?? 'x.bin');
        for (const k of ['prompt_id', 'workflow', 'metadata'] as const)
          if (f[k] !== undefined) body.set(k, f[k]);
        await checkAnswer(
          await app.request('/api/comfy/ingest', { token: app.adminToken, method: 'POST', body }),
          ['file', 'prompt_id', 'workflow', 'metadata'],
        );
      }),
      { numRuns: RUNS },
    );
    const jsonIngest = fc.record(
      {
        prompt_id: sometimesWrong(fc.string({ maxLength: 20 })),
        filename: sometimesWrong(fc.string({ maxLength: 20 }).map((s) => s + MARKER)),
        subfolder: sometimesWrong(fc.string({ maxLength: 10 })),
        type: sometimesWrong(fc.constantFrom('output', 'input', 'temp', 'bogus')),
        metadata: fc.anything(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(jsonIngest, async (json) =>
        // Well-formed references to images ComfyUI does not have end as a 404, not a 5xx.
        checkAnswer(await app.request('/api/comfy/ingest', { token: app.adminToken, method: 'POST', json }), [
          'prompt_id',
          'filename',
          'subfolder',
          'type',
          'metadata',
        ]),
      ),
      { numRuns: RUNS },
    );
    await expectStillServing(app);
    expect(await strayFiles(app.rootDir)).toEqual([]);
  });
});
