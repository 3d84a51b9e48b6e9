import { describe, expect, it } from 'vitest';
import { CoalescingOutbox } from './coalescing-outbox.ts';

type Frame = { id: number; kind: string };
const KINDS = ['status', 'status', 'status', 'images', 'warning', 'error', 'preview'];

/** A deterministic pseudo-random sequence (no flaky seeds). */
function* lcg(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x / 2 ** 31;
  }
}

/** Pushes a job's events (ending in `done`) with congestion switching on and off, draining at random. */
function simulate(seed: number) {
  const rnd = lcg(seed);
  const next = () => rnd.next().value as number;
  const outbox = new CoalescingOutbox<Frame>();
  const sent: Frame[] = [];
  const pushed: Frame[] = [];
  let congested = false;
  for (let id = 1; id <= 300; id++) {
    const kind = id === 300 ? 'done' : (KINDS[Math.floor(next() * KINDS.length)] ?? 'status');
    const frame = { id, kind };
    pushed.push(frame);
    outbox.push({ kind, payload: frame }, congested);
    if (next() < 0.1) congested = !congested;
    if (next() < 0.05) outbox.compact();
    if (!congested && next() < 0.5) for (let e = outbox.shift(); e; e = outbox.shift()) sent.push(e.payload);
  }
  for (let e = outbox.shift(); e; e = outbox.shift()) sent.push(e.payload);
  return { sent, pushed, dropped: outbox.dropped };
}

describe('CoalescingOutbox', () => {
  it('never drops done, images, error or warning, never reorders ids, and the latest status wins', () => {
    let droppedSomewhere = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const { sent, pushed, dropped } = simulate(seed);
      droppedSomewhere += dropped;
      const kept = (f: Frame) => !['status', 'preview'].includes(f.kind);
      expect(sent.filter(kept)).toEqual(pushed.filter(kept));
      const ids = sent.map((f) => f.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      expect(sent.at(-1)?.kind).toBe('done');
      // The last status of the job is always delivered, whatever was coalesced before it.
      expect(sent.findLast((f) => f.kind === 'status')).toEqual(pushed.findLast((f) => f.kind === 'status'));
      expect(sent.length + dropped).toBe(pushed.length);
    }
    expect(droppedSomewhere).toBeGreaterThan(0);
  });

  it('compacts what queued before the socket stopped draining: the newest of each superseded kind stays', () => {
    const outbox = new CoalescingOutbox<number>();
    const kinds = ['status', 'preview', 'images', 'status', 'preview', 'error', 'status', 'done'];
    kinds.forEach((kind, i) => outbox.push({ kind, payload: i + 1 }, false));
    outbox.compact();
    const out: number[] = [];
    for (let e = outbox.shift(); e; e = outbox.shift()) out.push(e.payload);
    expect(out).toEqual([3, 5, 6, 7, 8]);
    expect(outbox.dropped).toBe(3);
  });

  it('keeps every frame in order while the socket drains', () => {
    const outbox = new CoalescingOutbox<number>();
    for (let i = 1; i <= 5; i++) outbox.push({ kind: 'status', payload: i }, false);
    const out: number[] = [];
    for (let e = outbox.shift(); e; e = outbox.shift()) out.push(e.payload);
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(outbox.dropped).toBe(0);
  });

  it('replaces the waiting status, leaving what came between in place', () => {
    const outbox = new CoalescingOutbox<number>();
    outbox.push({ kind: 'status', payload: 1 }, true);
    outbox.push({ kind: 'images', payload: 2 }, true);
    outbox.push({ kind: 'status', payload: 3 }, true);
    outbox.push({ kind: 'warning', payload: 4 }, true);
    outbox.push({ kind: 'status', payload: 5 }, true);
    outbox.push({ kind: 'done', payload: 6 }, true);
    const out: number[] = [];
    for (let e = outbox.shift(); e; e = outbox.shift()) out.push(e.payload);
    expect(out).toEqual([2, 4, 5, 6]);
    expect(outbox.dropped).toBe(2);
  });
});
