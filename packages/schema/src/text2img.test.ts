import { describe, expect, expectTypeOf, it } from 'vitest';
import { MAX_SEED, text2ImgParamsSchema, type Text2ImgParams } from './text2img.ts';

const base = { caption: 'a lighthouse at dusk' };
const issuesOf = (input: unknown) => {
  const r = text2ImgParamsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('text2ImgParamsSchema bounds', () => {
  it.each([
    ['width', 64, 63],
    ['width', 4096, 4097],
    ['height', 64, 63],
    ['height', 4096, 4097],
    ['steps', 1, 0],
    ['steps', 150, 151],
    ['cfg', 0.1, 0.09],
    ['cfg', 20, 20.01],
    ['seed', 0, -1],
    ['seed', MAX_SEED, MAX_SEED + 2],
    ['batch_size', 1, 0],
    ['batch_size', 16, 17],
  ] as const)('%s accepts %d and rejects %d', (field, valid, invalid) => {
    expect(issuesOf({ ...base, [field]: valid })).toEqual([]);
    const issues = issuesOf({ ...base, [field]: invalid });
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue).toMatch(new RegExp(`^${field}: `));
  });

  it('rejects non-integers where integers are required', () => {
    expect(issuesOf({ ...base, width: 512.5, steps: 2.5, seed: 1.5 })).toMatchInlineSnapshot(`
      [
        "width: Invalid input: expected int, received number",
        "steps: Invalid input: expected int, received number",
        "seed: Invalid input: expected int, received number",
      ]
    `);
  });

  it('requires a caption that is not blank after trimming', () => {
    expect(issuesOf({})).toMatchInlineSnapshot(`
      [
        "caption: Invalid input: expected string, received undefined",
      ]
    `);
    expect(issuesOf({ caption: '   ' })).toMatchInlineSnapshot(`
      [
        "caption: caption must not be empty",
      ]
    `);
    expect(text2ImgParamsSchema.parse({ caption: '  x  ' }).caption).toBe('x');
  });

  it('needs one lora weight per lora', () => {
    expect(issuesOf({ ...base, loras: ['a', 'b'], lora_weights: [0.5, 0.7] })).toEqual([]);
    expect(issuesOf({ ...base, loras: ['a'] })).toEqual([]);
    expect(issuesOf({ ...base, loras: ['a', 'b'], lora_weights: [0.5] })).toMatchInlineSnapshot(`
      [
        "lora_weights: lora_weights must have one weight per lora (2 loras, 1 weights)",
      ]
    `);
  });

  it('keeps split_step below steps', () => {
    expect(issuesOf({ ...base, steps: 10, split_step: 9 })).toEqual([]);
    expect(issuesOf({ ...base, steps: 10, split_step: 10 })).toEqual([
      'split_step: split_step must be less than steps',
    ]);
  });

  it('fills defaults for every optional switch and size', () => {
    expect(text2ImgParamsSchema.parse(base)).toMatchInlineSnapshot(`
      {
        "batch_size": 1,
        "caption": "a lighthouse at dusk",
        "cfg": 7,
        "deepshrink": false,
        "detail_daemon": false,
        "height": 1024,
        "pag": false,
        "split_sigmas": false,
        "steps": 20,
        "width": 1024,
      }
    `);
  });

  it('infers the documented types', () => {
    expectTypeOf<Text2ImgParams['width']>().toEqualTypeOf<number>();
    expectTypeOf<Text2ImgParams['seed']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Text2ImgParams['loras']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<Text2ImgParams['pag']>().toEqualTypeOf<boolean>();
  });
});
