import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobEvents } from './job-events.ts';
import { IMG, P, rig, start, f, types } from './event-fixtures.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('job tracker in a pool (shared bus, lost jobs handed back)', () => {
  it('hands a vanished job to the pool: no final state, its channel and ids stay', async () => {
    const events = createJobEvents();
    const lost: string[] = [];
    const r = rig({
      events,
      backend: 's1',
      onLost: (job, error) => {
        lost.push(`${job.id}:${error.code}:${job.status}`);
        return true;
      },
    });
    const seen = r.follow();
    r.feed([start()]);
    await r.tracker.reconcile();
    expect(lost).toEqual([`${P}:vanished:running`]);
    expect(r.tracker.get(P)).toBeUndefined();
    expect(types(seen)).not.toContain('done');
    // The bus still numbers the job's events (the pool's next holder continues them).
    const before = events.ids(P)?.last ?? 0;
    events.emit(P, { type: 'warning', code: 'backend_lost', message: 'moved' });
    expect(events.ids(P)?.last).toBe(before + 1);
  });

  it('ends the job as usual when the pool declines it', async () => {
    const r = rig({ onLost: () => false });
    const seen = r.follow();
    r.feed([start()]);
    await r.tracker.reconcile();
    expect(r.tracker.get(P)).toMatchObject({ status: 'failed', error: { code: 'vanished' } });
    expect(types(seen)).toContain('done');
  });

  it('tags images with the server name', () => {
    const r = rig({ backend: 's2' });
    r.follow();
    r.feed([start(), f('executed', { prompt_id: P, node: '9', output: { images: [IMG] } })]);
    expect(r.tracker.get(P)?.images).toEqual([{ ...IMG, backend: 's2' }]);
  });
});
