import { describe, expect, it } from 'vitest';
import { createWriteBatcher } from './write-batcher.ts';

/** A batcher whose turns of the loop are run by hand. */
function manual(batchSize: number) {
  const turns: (() => void)[] = [];
  const errors: unknown[] = [];
  const batcher = createWriteBatcher({
    batchSize,
    defer: (run) => turns.push(run),
    onError: (e) => errors.push(e),
  });
  const turn = () => {
    const run = turns.shift();
    run?.();
    return run !== undefined;
  };
  return { batcher, turns, turn, errors };
}

describe('createWriteBatcher', () => {
  it('runs 600 writes 256 per turn, in order, yielding between turns', () => {
    const { batcher, turns, turn } = manual(256);
    const done: number[] = [];
    for (let i = 0; i < 600; i++) batcher.schedule(() => done.push(i));
    expect(turns).toHaveLength(1); // one turn requested, not one per write
    expect(done).toHaveLength(0);
    const perTurn: number[] = [];
    while (turn()) perTurn.push(done.length);
    expect(perTurn).toEqual([256, 512, 600]);
    expect(done).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(batcher.pending).toBe(0);
  });

  it('runs a write scheduled by a write in a later turn, and survives a throwing write', () => {
    const { batcher, turn, errors } = manual(10);
    const done: string[] = [];
    batcher.schedule(() => {
      done.push('a');
      batcher.schedule(() => done.push('c'));
    });
    batcher.schedule(() => {
      throw new Error('socket gone');
    });
    batcher.schedule(() => done.push('b'));
    turn();
    expect(done).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
    turn();
    expect(done).toEqual(['a', 'b', 'c']);
    expect(turn()).toBe(false);
  });

  it('lets the event loop run between batches (setImmediate)', async () => {
    const batcher = createWriteBatcher({ batchSize: 100 });
    const order: string[] = [];
    for (let i = 0; i < 300; i++) batcher.schedule(() => order.push('w'));
    // Queued after the first batch was requested: runs between batches, not after all 300 writes.
    setImmediate(() => order.push('other'));
    await new Promise<void>((resolve) => batcher.schedule(resolve));
    expect(order.indexOf('other')).toBe(100);
    expect(order.filter((o) => o === 'w')).toHaveLength(300);
  });
});
