import { describe, expect, it } from 'vitest';
import { orderQueue } from './fair-order.ts';
import type { QueueEntry } from './fair-order.ts';

let seq = 0;
const job = (owner: string, o: Partial<QueueEntry> = {}): QueueEntry => ({
  promptId: `${owner}${++seq}`,
  owner,
  priority: 0,
  seq,
  ...o,
});
const ids = (list: QueueEntry[]) => list.map((e) => e.promptId);

describe('orderQueue', () => {
  it('orders one owner by age', () => {
    const [a1, a2, a3] = [job('a'), job('a'), job('a')];
    expect(ids(orderQueue([a3, a1, a2], new Map()))).toEqual(ids([a1, a2, a3]));
  });

  it('puts a late owner’s single job ahead of a busy owner’s second one (round robin)', () => {
    const a = Array.from({ length: 20 }, () => job('a'));
    const b = job('b');
    const order = orderQueue([...a, b], new Map([['a', 5]]));
    // b was never served, a was: b leads the first round.
    expect(order[0]).toBe(b);
    expect(order.slice(1).map((e) => e.owner)).toEqual(Array(20).fill('a'));
  });

  it('alternates owners round by round, the one served longest ago first', () => {
    const a1 = job('a');
    const a2 = job('a');
    const b1 = job('b');
    const b2 = job('b');
    const c1 = job('c');
    const order = orderQueue(
      [a1, a2, b1, b2, c1],
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    expect(ids(order)).toEqual(ids([c1, b1, a1, b2, a2]));
  });

  it('puts higher priority first, regardless of owner and age', () => {
    const a = job('a');
    const b = job('b', { priority: 5 });
    const c = job('c', { priority: -1 });
    expect(ids(orderQueue([c, a, b], new Map()))).toEqual(ids([b, a, c]));
  });

  it('puts a retried job at the head of its priority', () => {
    const a = job('a');
    const b = job('b');
    const retried = job('c', { front: true });
    const urgent = job('d', { priority: 1 });
    expect(ids(orderQueue([a, b, retried, urgent], new Map()))).toEqual(ids([urgent, retried, a, b]));
  });
});
