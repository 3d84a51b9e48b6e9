import superjson from 'superjson';
import type { SuperJSONResult } from 'superjson';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shareAcrossSubscribers, sharedJsonOf, transformer } from './serialize-once.ts';

afterEach(() => vi.restoreAllMocks());

describe('serialize-once transformer', () => {
  it('serialises a shared event once however many subscribers send it, with superjson bytes', () => {
    const spy = vi.spyOn(superjson, 'serialize');
    const event = shareAcrossSubscribers({ type: 'status', at: new Date(0), n: 1 });
    const outputs = Array.from({ length: 50 }, () => transformer.output.serialize(event) as unknown);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]).toEqual(superjson.serialize(event));
    expect(superjson.deserialize(JSON.parse(sharedJsonOf(outputs[0]) ?? 'null') as SuperJSONResult)).toEqual(
      event,
    );
  });

  it('serialises anything not shared on every call and gives no cached text for it', () => {
    const spy = vi.spyOn(superjson, 'serialize');
    const value = { type: 'status', n: 1 };
    const a = transformer.output.serialize(value) as unknown;
    transformer.output.serialize(value);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(sharedJsonOf(a)).toBeUndefined();
    expect(sharedJsonOf('text')).toBeUndefined();
  });

  it('serialises a tracked envelope of a shared event once per event and id, with superjson bytes', () => {
    const event = shareAcrossSubscribers({ type: 'status', at: new Date(0), gone: undefined });
    const spy = vi.spyOn(superjson, 'serialize');
    // tRPC's adapters build a new `{ id, data }` per subscriber for `tracked(id, event)`.
    const outputs = Array.from(
      { length: 50 },
      () => transformer.output.serialize({ id: '7', data: event }) as unknown,
    );
    expect(spy).toHaveBeenCalledTimes(1);
    expect(new Set(outputs).size).toBe(1);
    expect(outputs[0]).toEqual(superjson.serialize({ id: '7', data: event }));
    expect(sharedJsonOf(outputs[0])).toBe(JSON.stringify(superjson.serialize({ id: '7', data: event })));
    // The same notice under another subscriber's last id: its own bytes.
    expect(transformer.output.serialize({ id: '3', data: event })).toEqual(
      superjson.serialize({ id: '3', data: event }),
    );
    // Not an envelope (another key) or not a shared event: serialised as given.
    const extra = { id: '7', data: event, more: 1 };
    expect(transformer.output.serialize(extra)).toEqual(superjson.serialize(extra));
    expect(sharedJsonOf(transformer.output.serialize({ id: '7', data: { type: 'x' } }))).toBeUndefined();
  });

  it('stringifies a shared output once', () => {
    const out = transformer.output.serialize(shareAcrossSubscribers({ type: 'done' })) as unknown;
    const spy = vi.spyOn(JSON, 'stringify');
    const texts = Array.from({ length: 10 }, () => sharedJsonOf(out));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(new Set(texts)).toEqual(new Set(['{"json":{"type":"done"}}']));
  });
});
