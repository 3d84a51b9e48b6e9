import { describe, expect, expectTypeOf, it } from 'vitest';
import { streamEventSchema, type StreamEvent } from './events.ts';
import { isFinalJobStatus } from './job.ts';

describe('streamEventSchema', () => {
  it('discriminates on type', () => {
    const ev = streamEventSchema.parse({ type: 'status', snapshot: { prompt_id: 'p', status: 'running' } });
    expect(ev.type).toBe('status');
    expect(streamEventSchema.safeParse({ type: 'nope' }).success).toBe(false);
    expect(streamEventSchema.parse({ type: 'images', node: '9', images: [{ filename: 'a.png' }] })).toEqual({
      type: 'images',
      node: '9',
      images: [{ filename: 'a.png', subfolder: '', type: 'output' }],
    });
  });

  it('narrows by type in code', () => {
    const handle = (e: StreamEvent) => (e.type === 'done' ? e.snapshot.status : null);
    expectTypeOf(handle).returns.toEqualTypeOf<
      'queued' | 'running' | 'completed' | 'failed' | 'interrupted' | 'cancelled' | 'unknown' | null
    >();
    expect(handle({ type: 'done', snapshot: { prompt_id: 'p', status: 'completed' } })).toBe('completed');
  });

  it('knows which statuses are final', () => {
    expect(['queued', 'running', 'unknown'].map((s) => isFinalJobStatus(s as never))).toEqual([
      false,
      false,
      false,
    ]);
    expect(
      ['completed', 'failed', 'interrupted', 'cancelled'].every((s) => isFinalJobStatus(s as never)),
    ).toBe(true);
  });
});
