import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  cached,
  executed,
  executing,
  entry,
  f,
  IMG,
  NORMAL,
  P,
  rig,
  start,
  status,
  success,
  types,
} from './event-fixtures.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('job tracker state machine (events in, snapshots out)', () => {
  it('follows a normal run: progress by nodes, current node with class and title, one done', () => {
    const r = rig();
    const events = r.follow();
    const percents: number[] = [];
    r.tracker.subscribe(
      P,
      (e) => e.event.type === 'status' && percents.push(e.event.snapshot.progress?.percent ?? -1),
    );
    r.feed(NORMAL.slice(0, 6));
    expect(r.tracker.get(P)).toMatchObject({
      status: 'running',
      current_node: { id: '2', class_type: 'ImageInvert', title: 'Invert it' },
    });
    expect(r.tracker.get(P)?.progress?.percent).toBeCloseTo(33.3);
    r.feed(NORMAL.slice(6));
    const final = r.tracker.get(P);
    expect(final).toMatchObject({
      status: 'completed',
      images: [IMG],
      current_node: null,
      progress: { percent: 100 },
    });
    expect(types(events).filter((t) => t === 'done')).toHaveLength(1);
    expect(types(events).slice(-2)).toEqual(['status', 'done']);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(r.tracker.eventsSince(P).map((e) => e.id)).toEqual(events.map((_, i) => String(i + 1)));
    expect(r.metrics).toEqual(['job_end']);
  });

  it('completes a fully cached run that sends no executing at all', () => {
    const r = rig();
    r.follow();
    r.feed([
      status(1),
      start(),
      cached(['1', '2', '3']),
      executed('3'),
      success(),
      status(0),
      executing(null),
    ]);
    expect(r.tracker.get(P)).toMatchObject({ status: 'completed', images: [IMG] });
  });

  it('fails with the node, type and message of an execution error', () => {
    const r = rig();
    const events = r.follow();
    r.feed([start(), executing('1'), executing('2')]);
    r.feed([
      f('execution_error', {
        prompt_id: P,
        node_id: '2',
        node_type: 'ImageInvert',
        executed: ['1'],
        exception_message: 'boom',
        exception_type: 'RuntimeError',
        traceback: [],
        current_inputs: {},
        current_outputs: {},
      }),
    ]);
    r.feed([status(0), executing(null)]);
    expect(r.tracker.get(P)?.error).toEqual({
      code: 'execution_error',
      message: 'boom',
      node_id: '2',
      node_type: 'ImageInvert',
      exception_type: 'RuntimeError',
    });
    expect(types(events).slice(-3)).toEqual(['status', 'error', 'done']);
    expect(events.find((e) => e.type === 'error')).toMatchObject({
      code: 'execution_error',
      message: 'boom',
    });
  });

  it('ends interrupted on execution_interrupted', () => {
    const r = rig();
    r.follow();
    r.feed([
      start(),
      executing('2'),
      f('execution_interrupted', { prompt_id: P, node_id: '2', node_type: 'ImageInvert', executed: ['1'] }),
    ]);
    expect(r.tracker.get(P)).toMatchObject({
      status: 'interrupted',
      error: { code: 'interrupted', node_id: '2' },
    });
  });

  it('ignores duplicate and late end events: one final state, one done', () => {
    const r = rig();
    const events = r.follow();
    r.feed([
      ...NORMAL,
      success(),
      executing(null),
      f('execution_error', { prompt_id: P, exception_message: 'late' }),
    ]);
    expect(r.tracker.get(P)?.status).toBe('completed');
    expect(types(events).filter((t) => t === 'done')).toHaveLength(1);
  });

  it('copes with out-of-order frames: progress before start, executed before executing', () => {
    const r = rig();
    r.follow();
    r.feed([
      f('progress', { value: 1, max: 4, prompt_id: P, node: '2' }),
      executed('3'),
      start(),
      executing('3'),
    ]);
    expect(r.tracker.get(P)).toMatchObject({ status: 'running', images: [IMG] });
    r.feed([success()]);
    expect(r.tracker.get(P)?.status).toBe('completed');
  });

  it('replays frames that arrived before track() (the HTTP answer came after the run)', () => {
    const r = rig();
    r.feed(NORMAL);
    const events = r.follow();
    expect(r.tracker.get(P)).toMatchObject({ status: 'completed', images: [IMG] });
    expect(types(events).at(-1)).toBe('done');
  });

  it('asks history at once when the end marker comes without a final event', async () => {
    const r = rig();
    r.follow();
    r.feed([start(), executing('1')]);
    r.upstream.history.set(P, entry(P, 'success', ['execution_success', { prompt_id: P }]));
    r.feed([executing(null)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.tracker.get(P)).toMatchObject({ status: 'completed', images: [IMG] });
    expect(r.tracker.stats.rescues).toBe(1);
    expect(r.metrics).toContain('rescue');
  });
});
