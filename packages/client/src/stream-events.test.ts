import { describe, expect, it } from 'vitest';
import { toStreamEvent } from './stream-events.ts';

const snapshot = { prompt_id: 'p1', status: 'running' };

describe('toStreamEvent', () => {
  it('passes whole events through', () => {
    const event = { type: 'done', snapshot: { prompt_id: 'p1', status: 'completed' } };
    expect(toStreamEvent('done', JSON.stringify(event))).toEqual(event);
  });

  it('reads bare payloads by the SSE event name', () => {
    expect(toStreamEvent('status', JSON.stringify(snapshot))).toEqual({ type: 'status', snapshot });
    expect(toStreamEvent('images', '[{"filename":"a.png","subfolder":"","type":"output"}]')).toEqual({
      type: 'images',
      node: null,
      images: [{ filename: 'a.png', subfolder: '', type: 'output' }],
    });
    expect(toStreamEvent('preview', '{"data":"AAAA"}')).toEqual({
      type: 'preview',
      node: null,
      mime: 'image/jpeg',
      data: 'AAAA',
    });
    expect(toStreamEvent('error', '{"message":"boom"}')).toEqual({
      type: 'error',
      code: 'ERROR',
      message: 'boom',
    });
  });

  it('drops what it cannot read', () => {
    expect(toStreamEvent('status', 'not json')).toBeNull();
    expect(toStreamEvent('status', '{"no":"prompt id"}')).toBeNull();
    expect(toStreamEvent('preview', '42')).toBeNull();
  });
});
