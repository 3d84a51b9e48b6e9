import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGatewayError } from '../errors.ts';
import { entry, f, IMG, item, NORMAL, P, rig, start, success, types } from './event-fixtures.ts';
import { EVENT_BUFFER } from './job-events.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('job tracker reconciliation (/queue and /history are the truth)', () => {
  it('polls while the socket is down: queue position, running, then history', async () => {
    const r = rig();
    r.follow();
    r.tracker.setSocketUp(false);
    r.upstream.queue = { running: [item('other', 0)], pending: [item('x', 1), item(P, 2)] };
    await vi.advanceTimersByTimeAsync(100);
    expect(r.tracker.get(P)).toMatchObject({ status: 'queued', queue_position: 1 });
    r.upstream.queue = { running: [item(P, 2)], pending: [] };
    await vi.advanceTimersByTimeAsync(100);
    expect(r.tracker.get(P)?.status).toBe('running');
    r.upstream.queue = { running: [], pending: [] };
    r.upstream.history.set(P, entry(P, 'success', ['execution_success', { prompt_id: P }]));
    await vi.advanceTimersByTimeAsync(100);
    expect(r.tracker.get(P)).toMatchObject({ status: 'completed', images: [IMG] });
    const calls = r.upstream.calls;
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.upstream.calls).toBe(calls);
  });

  it('does not poll while the socket is up and talking, but does once it falls silent', async () => {
    const r = rig();
    r.follow();
    r.feed([start()]);
    // One /queue read refreshes the queue position right after track(); nothing after that.
    await vi.advanceTimersByTimeAsync(50);
    const afterTrack = r.upstream.calls;
    for (let i = 0; i < 9; i++) {
      await vi.advanceTimersByTimeAsync(100);
      r.feed([f('progress', { value: i, max: 9, prompt_id: P, node: '2' })]);
    }
    expect(r.upstream.calls).toBe(afterTrack);
    r.upstream.queue = { running: [item(P, 0)], pending: [] };
    await vi.advanceTimersByTimeAsync(1100);
    expect(r.upstream.calls).toBeGreaterThan(0);
  });

  it('tells interrupted from failed in history by the last message', async () => {
    const r = rig();
    r.follow('a');
    r.follow('b');
    r.upstream.history.set(
      'a',
      entry('a', 'error', [
        'execution_interrupted',
        { prompt_id: 'a', node_id: '2', node_type: 'ImageInvert' },
      ]),
    );
    r.upstream.history.set(
      'b',
      entry('b', 'error', [
        'execution_error',
        { prompt_id: 'b', node_id: '3', exception_message: 'disk full' },
      ]),
    );
    await r.tracker.reconcile();
    expect(r.tracker.get('a')).toMatchObject({ status: 'interrupted', error: { node_id: '2' } });
    expect(r.tracker.get('b')).toMatchObject({
      status: 'failed',
      error: { code: 'execution_error', message: 'disk full', node_id: '3' },
    });
  });

  it('fails a vanished prompt: at once when it was seen alive, after a grace pass when never seen', async () => {
    const r = rig();
    const seenEvents = r.follow('seen');
    r.follow('never');
    r.feed([start('seen')]);
    await r.tracker.reconcile();
    expect(r.tracker.get('seen')).toMatchObject({ status: 'failed', error: { code: 'vanished' } });
    expect(seenEvents.find((e) => e.type === 'error')).toMatchObject({
      code: 'vanished',
      message: expect.stringMatching(/lost the prompt/),
    });
    expect(r.tracker.get('never')?.status).toBe('queued');
    await r.tracker.reconcile();
    expect(r.tracker.get('never')?.status).toBe('failed');
    expect(r.tracker.stats.vanished).toBe(2);
  });

  it('ends cancelled when the gateway deleted the pending prompt', async () => {
    const r = rig();
    const events = r.follow();
    r.tracker.markCancelRequested(P);
    await r.tracker.reconcile();
    expect(r.tracker.get(P)?.status).toBe('cancelled');
    expect(types(events)).not.toContain('error');
  });

  it('follows a foreign client id by polling, with one warning, even while the socket is up', async () => {
    const r = rig();
    const events = r.follow(P, { ownSocket: false });
    expect(events.filter((e) => e.type === 'warning')).toEqual([
      { type: 'warning', code: 'followed_by_polling', message: expect.any(String) },
    ]);
    r.upstream.history.set(P, entry(P, 'success', ['execution_success', { prompt_id: P }]));
    await vi.advanceTimersByTimeAsync(100);
    expect(r.tracker.get(P)).toMatchObject({ status: 'completed', followed_by: 'polling' });
    expect(r.tracker.stats.rescues).toBe(0);
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(1);
  });

  it('shares one reconcile pass between concurrent callers', async () => {
    const r = rig();
    r.follow();
    r.upstream.queue = { running: [item(P, 0)], pending: [] };
    await Promise.all(Array.from({ length: 20 }, () => r.tracker.reconcile()));
    expect(r.upstream.calls).toBe(1);
  });
});

describe('job tracker memory and waiting', () => {
  it('keeps a bounded event buffer with increasing ids, previews not kept', () => {
    const r = rig();
    r.follow();
    r.feed([start()]);
    for (let i = 0; i < EVENT_BUFFER + 50; i++)
      r.feed([f('progress', { value: i % 20, max: 20, prompt_id: P, node: '2' })]);
    r.feed([
      { type: 'preview', format: 'jpeg', mime: 'image/jpeg', data: new Uint8Array([1]), prompt_id: P },
    ]);
    const kept = r.tracker.eventsSince(P);
    expect(kept).toHaveLength(EVENT_BUFFER);
    const ids = kept.map((e) => Number(e.id));
    expect(ids.every((id, i) => i === 0 || id === (ids[i - 1] ?? 0) + 1)).toBe(true);
    expect(kept.some((e) => e.event.type === 'preview')).toBe(false);
    expect(r.tracker.eventsSince(P, String(ids.at(-2))).map((e) => Number(e.id))).toEqual([ids.at(-1)]);
  });

  it('forgets finished jobs beyond the count and the age, never active ones', async () => {
    const r = rig({ retainFinished: 2, retainFinishedMs: 60_000 });
    let stop = () => undefined as unknown;
    for (const id of ['a', 'b', 'c']) {
      r.tracker.track(id, { ownSocket: true });
      // A finished job someone still listens to is kept past the count.
      if (id === 'a') stop = r.tracker.subscribe('a', () => undefined);
      r.feed([success(id)]);
    }
    r.tracker.track('active', { ownSocket: true });
    r.upstream.queue = { running: [], pending: [item('active', 9)] };
    expect(r.tracker.size()).toBe(4);
    stop();
    expect(r.tracker.get('a')).toBeUndefined();
    expect(r.tracker.get('c')?.status).toBe('completed');
    await vi.advanceTimersByTimeAsync(61_000);
    r.tracker.track('d', { ownSocket: true });
    expect(r.tracker.get('b')).toBeUndefined();
    expect(r.tracker.get('c')).toBeUndefined();
    expect(r.tracker.get('active')?.status).toBe('queued');
  });

  it('waitForEnd resolves with the final snapshot, rejects on abort and for unknown prompts', async () => {
    const r = rig();
    r.follow();
    const wait = r.tracker.waitForEnd(P);
    const ac = new AbortController();
    r.follow('q');
    const aborted = r.tracker.waitForEnd('q', { signal: ac.signal });
    ac.abort(new Error('client left'));
    await expect(aborted).rejects.toThrow('client left');
    r.feed(NORMAL);
    expect(await wait).toMatchObject({ status: 'completed' });
    const unknown = await r.tracker.waitForEnd('nope').catch((e: unknown) => e);
    expect(isGatewayError(unknown) && unknown.code).toBe('NOT_FOUND');
  });
});
