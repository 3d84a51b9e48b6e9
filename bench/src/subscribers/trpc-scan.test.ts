import { describe, expect, it } from 'vitest';
import { newFacts } from './event-scan.ts';
import type { TrpcFacts } from './trpc-scan.ts';
import { readTrpcJson, scanTrpcMessage } from './trpc-scan.ts';

const PROMPTS = ['c1fd0032-8053-4b9f-ab77-80c6ec5dccec', 'a7a1c1f2-0000-4000-8000-000000000002'];
const promptOf = (sub: number) =>
  PROMPTS[sub - 1] === undefined ? undefined : Buffer.from(PROMPTS[sub - 1] ?? '');
const event = (prompt: string, type = 'status') =>
  `{"type":"${type}","snapshot":{"prompt_id":"${prompt}","status":"running","queue_position":null,"progress":{"value":3,"max":20,"node":"sampler","percent":40.5},"current_node":{"id":"sampler","class_type":"KSampler"},"images":[]}}`;
// As the gateway's encoder writes a `tracked()` event (superjson output spliced into the envelope).
const DATA = `{"id":2,"result":{"type":"data","data":{"json":{"id":"17","data":${event(PROMPTS[1] ?? '')}}},"id":"17"}}`;

function both(text: string) {
  const buf = Buffer.from(`xx${text}yy`); // the message inside a larger read
  const fast: TrpcFacts = { sub: NaN, kind: 'other', error: '' };
  const fastFacts = newFacts();
  const scanned = scanTrpcMessage(buf, 2, buf.length - 2, promptOf, fast, fastFacts);
  const slow: TrpcFacts = { sub: NaN, kind: 'other', error: '' };
  const slowFacts = newFacts();
  readTrpcJson(text, promptOf, slow, slowFacts);
  return { scanned, fast: { ...fast, ...fastFacts }, slow: { ...slow, ...slowFacts } };
}

describe('scanTrpcMessage', () => {
  it('reads a data message in place, as JSON.parse would', () => {
    const r = both(DATA);
    expect(r.scanned).toBe(true);
    expect(r.fast).toEqual({
      sub: 2,
      kind: 'data',
      error: '',
      type: 'status',
      id: 17,
      progress: true,
      node: 'sampler',
      value: 3,
      max: 20,
      otherPrompt: false,
    });
    expect(r.slow).toEqual(r.fast);
  });

  it('flags an event of another prompt than the subscription', () => {
    const r = both(DATA.replace('"id":2,', '"id":1,'));
    expect([r.fast.otherPrompt, r.slow.otherPrompt]).toEqual([true, true]);
  });

  it('reads started and stopped', () => {
    expect(both('{"id":1,"result":{"type":"started"}}').fast).toMatchObject({ sub: 1, kind: 'started' });
    expect(both('{"id":2,"result":{"type":"stopped"}}').fast).toMatchObject({ sub: 2, kind: 'stopped' });
  });

  it('leaves other shapes to the JSON path, which reads them', () => {
    const reordered = `{"id":2,"result":{"type":"data","data":{"json":{"data":${event(PROMPTS[1] ?? '', 'done')},"id":"18"}}}}`;
    const r = both(reordered);
    expect(r.scanned).toBe(false);
    expect(r.slow).toMatchObject({
      sub: 2,
      kind: 'data',
      type: 'done',
      id: 18,
      value: 3,
      otherPrompt: false,
    });
    const error = both('{"id":1,"error":{"json":{"message":"prompt not found","code":-32004}}}');
    expect(error.scanned).toBe(false);
    expect(error.slow).toMatchObject({ sub: 1, kind: 'error', error: 'prompt not found' });
  });
});
