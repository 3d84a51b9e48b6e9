import { describe, expect, it } from 'vitest';
import { newFacts, scanEventJson, stringAt } from './event-scan.ts';

const PROMPT = Buffer.from('p-1');
const scan = (json: string) => {
  const f = newFacts();
  const buf = Buffer.from(json);
  scanEventJson(buf, 0, buf.length, PROMPT, f);
  return { progress: f.progress, node: f.node, value: f.value, max: f.max, otherPrompt: f.otherPrompt };
};

describe('scanEventJson', () => {
  it('reads progress members in any order, null node and float members', () => {
    expect(
      scan('{"snapshot":{"prompt_id":"p-1","progress":{"percent":12.5,"node":null,"max":20,"value":7}}}'),
    ).toEqual({
      progress: true,
      node: '',
      value: 7,
      max: 20,
      otherPrompt: false,
    });
  });

  it('decodes a node id with escapes and braces', () => {
    expect(scan('{"snapshot":{"progress":{"value":1,"max":2,"node":"a\\"}b"}}}').node).toBe('a"}b');
  });

  it('does not take `value` or `max` from outside the progress object', () => {
    expect(scan('{"snapshot":{"prompt_id":"p-1","progress":{"node":"x"},"value":3,"max":4}}').progress).toBe(
      false,
    );
  });

  it('flags another prompt, also one that only starts like ours', () => {
    expect(scan('{"snapshot":{"prompt_id":"p-10","progress":{"value":1,"max":2}}}').otherPrompt).toBe(true);
    expect(scan('{"type":"images","node":"save","images":[]}')).toMatchObject({
      progress: false,
      otherPrompt: false,
    });
  });
});

describe('stringAt', () => {
  it('returns the same string object for the same bytes (no string per event)', () => {
    const a = Buffer.from('"sampler"');
    const b = Buffer.from('xx"sampler"');
    expect(stringAt(a, 0, a.length)).toBe('sampler');
    expect(stringAt(b, 2, b.length)).toBe('sampler');
    expect(stringAt(Buffer.from('"open'), 0, 5)).toBeNull();
  });
});
