import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { entry, executed, executing, f, IMG, item, P, rig, start, success } from './event-fixtures.ts';
import { EVENT_ID_BLOCK } from './job-events.ts';
import type { JobRepository, JobState } from './job-repository.ts';
import { createMemoryJobRepository } from './memory-job-repository.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** A memory repository that records every state it is asked to save. */
function recordingRepository() {
  const inner = createMemoryJobRepository();
  const saved: JobState[] = [];
  const repo: JobRepository = {
    saveState: async (s) => {
      saved.push({ ...s });
      await inner.saveState(s);
    },
    load: (id) => inner.load(id),
    listUnfinished: () => inner.listUnfinished(),
  };
  return { repo, saved, inner };
}

const ids = (events: { id: string }[]) => events.map((e) => Number(e.id));

describe('job tracker state in a repository', () => {
  it('saves at accept, running, images and the final state, never per progress step', async () => {
    const { repo, saved } = recordingRepository();
    const r = rig({ repository: repo });
    r.follow();
    r.feed([start(), executing('1')]);
    for (let i = 1; i <= 20; i++) r.feed([f('progress', { value: i, max: 20, prompt_id: P, node: '1' })]);
    r.feed([executing('3'), executed('3'), success()]);
    await r.tracker.flush();
    expect(saved.map((s) => [s.status, s.images.length])).toEqual([
      ['queued', 0],
      ['running', 0],
      ['running', 1],
      ['completed', 1],
    ]);
    const final = saved.at(-1);
    expect(final).toMatchObject({ promptId: P, images: [IMG], error: null });
    expect(final?.finishedAt).not.toBeNull();
    // A finished job's floor is its `done` event: nothing after it, and a resume from it is complete.
    expect(final?.eventIdFloor).toBe(ids(r.tracker.eventsSince(P)).at(-1));
  });

  it('writes in order per job and reports a failed write without breaking the event path', async () => {
    const order: string[] = [];
    const errors: [string, unknown][] = [];
    let first = true;
    const inner = createMemoryJobRepository();
    const repo: JobRepository = {
      ...inner,
      saveState: async (s) => {
        if (first) {
          first = false;
          // The accept write is slow: the next one must wait for it.
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        if (s.status === 'running') throw new Error('disk full');
        order.push(s.status);
        await inner.saveState(s);
      },
    };
    const r = rig({ repository: repo, onError: (where, err) => errors.push([where, err]) });
    r.follow();
    r.feed([start(), executing('3'), success()]);
    expect(r.tracker.get(P)?.status).toBe('completed');
    await vi.advanceTimersByTimeAsync(500);
    await r.tracker.flush();
    expect(order).toEqual(['queued', 'completed']);
    expect(errors).toEqual([['tracker.saveState', new Error('disk full')]]);
    expect((await inner.load(P))?.status).toBe('completed');
  });

  it('reserves event ids in blocks and persists the new floor before the old block runs out', async () => {
    const { repo, saved } = recordingRepository();
    const r = rig({ repository: repo });
    r.follow();
    r.feed([start()]);
    for (let i = 0; i < EVENT_ID_BLOCK; i++)
      r.feed([f('progress', { value: i % 20, max: 20, prompt_id: P, node: '2' })]);
    await r.tracker.flush();
    const floors = saved.map((s) => s.eventIdFloor);
    expect(floors).toEqual([EVENT_ID_BLOCK, EVENT_ID_BLOCK, 2 * EVENT_ID_BLOCK]);
    const last = ids(r.tracker.eventsSince(P)).at(-1) ?? 0;
    expect(last).toBeGreaterThan(EVENT_ID_BLOCK);
    expect(last).toBeLessThanOrEqual(2 * EVENT_ID_BLOCK);
  });
});

describe('job tracker after a restart', () => {
  it('follows an unfinished job again and completes it with its images from history', async () => {
    const repo = createMemoryJobRepository();
    const before = rig({ repository: repo });
    before.follow();
    before.feed([start(), executing('1')]);
    const oldIds = ids(before.tracker.eventsSince(P));
    await before.tracker.flush();
    before.tracker.close();
    const floor = (await repo.load(P))?.eventIdFloor ?? 0;
    expect(floor).toBeGreaterThanOrEqual(Math.max(...oldIds));

    // ComfyUI finished the prompt while the gateway was down.
    const after = rig({ repository: repo });
    after.upstream.history.set(P, entry(P, 'success', ['execution_success', { prompt_id: P }]));
    expect(await after.tracker.restore()).toBe(1);
    expect(after.tracker.get(P)).toMatchObject({ status: 'running', images: [] });
    const final = after.tracker.waitForEnd(P);
    // Restored jobs are polled: their events may go to the client id of the old process.
    await vi.advanceTimersByTimeAsync(100);
    expect(await final).toMatchObject({ status: 'completed', images: [IMG] });
    const newIds = ids(after.tracker.eventsSince(P));
    expect(Math.min(...newIds)).toBe(floor + 1);
    expect(newIds).toEqual([...newIds].sort((a, b) => a - b));
    await after.tracker.flush();
    expect(await repo.load(P)).toMatchObject({ status: 'completed', images: [IMG] });
    expect(await repo.listUnfinished()).toEqual([]);
  });

  it('keeps following a restored job that is still running, and fails one ComfyUI lost', async () => {
    const repo = createMemoryJobRepository();
    const before = rig({ repository: repo });
    before.follow('alive');
    before.follow('lost');
    before.feed([start('alive'), start('lost')]);
    await before.tracker.flush();
    before.tracker.close();

    const after = rig({ repository: repo });
    after.upstream.queue = { running: [item('alive', 1)], pending: [] };
    await after.tracker.restore();
    await vi.advanceTimersByTimeAsync(300);
    expect(after.tracker.get('alive')?.status).toBe('running');
    expect(after.tracker.get('lost')).toMatchObject({ status: 'failed', error: { code: 'vanished' } });
    after.upstream.queue = { running: [], pending: [] };
    after.upstream.history.set('alive', entry('alive', 'success', ['execution_success', {}]));
    await vi.advanceTimersByTimeAsync(200);
    expect(after.tracker.get('alive')).toMatchObject({ status: 'completed', images: [IMG] });
  });

  it('answers a finished job from the repository without following it again', async () => {
    const repo = createMemoryJobRepository();
    const before = rig({ repository: repo });
    before.follow();
    before.feed([start(), executed('3'), success()]);
    await before.tracker.flush();

    const after = rig({ repository: repo });
    expect(await after.tracker.lookup(P)).toMatchObject({ status: 'completed', images: [IMG] });
    expect(after.tracker.size()).toBe(0);
    expect(after.upstream.calls).toBe(0);
    expect(await after.tracker.waitForEnd(P)).toMatchObject({ status: 'completed' });
  });

  it('follows an unfinished stored job again when it is looked up', async () => {
    const repo = createMemoryJobRepository();
    const before = rig({ repository: repo });
    before.follow();
    before.feed([start()]);
    await before.tracker.flush();

    const after = rig({ repository: repo });
    expect(await after.tracker.lookup(P)).toMatchObject({ status: 'running' });
    expect(after.tracker.size()).toBe(1);
    after.feed([executed('3'), success()]);
    expect(after.tracker.get(P)).toMatchObject({ status: 'completed', images: [IMG] });
  });
});
