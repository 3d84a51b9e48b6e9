import { shareAcrossSubscribers, trpcTransformer } from '@comfy-gateway/api';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { sharedEventEncoder } from './ws-encoder.ts';

describe('sharedEventEncoder', () => {
  it('splices a shared event into each envelope: valid JSON equal to the plain encoding', () => {
    const event = shareAcrossSubscribers({ type: 'status', snapshot: { at: new Date(5), text: 'a"}\n' } });
    const data = trpcTransformer.output.serialize(event) as unknown;
    for (const msg of [
      { id: 1, jsonrpc: '2.0', result: { type: 'data', id: '7', data } },
      { id: 'x"}', result: { type: 'data', data } },
      { result: { data } },
      { id: 2, jsonrpc: undefined, result: { type: 'data', data, id: '7' } },
      { id: 3, result: { type: 'data', data: trpcTransformer.output.serialize({ id: '9', data: event }) } },
      { result: { data, 'q"': [1, { a: 'b' }], skip: () => 1 } },
    ]) {
      expect(sharedEventEncoder.encode(msg)).toBe(JSON.stringify(msg));
    }
  });

  it('encodes everything else as plain JSON', () => {
    const msgs = [
      { id: 1, jsonrpc: '2.0', result: { type: 'data', data: superjson.serialize({ type: 'status' }) } },
      { id: 2, error: { message: 'no' } },
      [1, 2],
      'PONG',
    ];
    for (const msg of msgs) expect(sharedEventEncoder.encode(msg)).toBe(JSON.stringify(msg));
    expect(sharedEventEncoder.decode('{"a":1}')).toEqual({ a: 1 });
    expect(() => sharedEventEncoder.decode(new Uint8Array(1))).toThrow(/text frame/);
  });
});
