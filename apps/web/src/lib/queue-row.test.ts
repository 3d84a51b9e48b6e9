import { describe, expect, it } from 'vitest';
import { canCancelQueueRow, isPooledQueue, queueRowSource, queueRowWhere } from './queue-row.ts';

const mine = { prompt_id: 'p-1', number: 3, position: 0, ours: true, mine: true };
const anonymous = { position: 1, ours: true, mine: false };
const othersForAdmin = { prompt_id: 'p-2', number: 4, position: 2, ours: true, mine: false, owner_id: 7 };
const foreign = { prompt_id: 'p-3', number: 5, position: 3, ours: false, mine: false, owner_id: null };

describe('queue rows', () => {
  it('names the owner only as far as the caller may know it', () => {
    expect(queueRowSource(mine, false)).toBe('you');
    expect(queueRowSource(anonymous, false)).toBe('another user');
    expect(queueRowSource(othersForAdmin, true)).toBe('user #7');
    expect(queueRowSource(foreign, true)).toBe('other client');
  });

  it('offers cancel for own rows, and for any row with an id to an admin', () => {
    expect(canCancelQueueRow(mine, false)).toBe(true);
    expect(canCancelQueueRow(anonymous, false)).toBe(false);
    expect(canCancelQueueRow(anonymous, true)).toBe(false);
    expect(canCancelQueueRow(othersForAdmin, false)).toBe(false);
    expect(canCancelQueueRow(othersForAdmin, true)).toBe(true);
    expect(canCancelQueueRow(foreign, true)).toBe(true);
  });

  it('places a row on its server, in the gateway queue before dispatch, or on the one ComfyUI', () => {
    const dispatched = { ...mine, backend: 's2', priority: 0 };
    const waiting = { ...mine, priority: 5 };
    expect(queueRowWhere(dispatched, true)).toBe('s2');
    expect(queueRowWhere(waiting, true)).toBe('gateway queue');
    expect(queueRowWhere(anonymous, true)).toBeNull();
    expect(queueRowWhere(mine, false)).toBe('ComfyUI');
    expect(isPooledQueue([mine, anonymous])).toBe(false);
    expect(isPooledQueue([mine, waiting])).toBe(true);
    expect(isPooledQueue([dispatched])).toBe(true);
  });
});
