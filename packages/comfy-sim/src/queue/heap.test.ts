import { describe, expect, it } from 'vitest';
import { heapify, heapPop, heapPush } from './heap.ts';

const less = (a: number, b: number) => a < b;

describe('heapq-compatible heap', () => {
  it('keeps the unsorted heap layout Python shows in /queue', () => {
    const h: number[] = [];
    for (const n of [18, -19, 20]) heapPush(h, n, less);
    expect(h).toEqual([-19, 18, 20]);
    for (const n of [5, 1, 7]) heapPush(h, n, less);
    // Layouts below were produced by CPython's heapq with the same operations.
    expect(h).toEqual([-19, 1, 7, 18, 5, 20]);
    h.splice(1, 1);
    heapify(h, less);
    expect(h).toEqual([-19, 5, 18, 7, 20]);
  });

  it('pops in order and re-heapifies after deletes', () => {
    const h = [9, 3, 7, 1, 8, 2];
    heapify(h, less);
    expect(h).toEqual([1, 3, 2, 9, 8, 7]);
    const out: number[] = [];
    while (h.length) out.push(heapPop(h, less) as number);
    expect(out).toEqual([1, 2, 3, 7, 8, 9]);
  });
});
