import { describe, expect, it } from 'vitest';
import { formatDuration } from './format.ts';

describe('formatDuration', () => {
  it('shows milliseconds, seconds and minutes', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4_250)).toBe('4.3 s');
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
  });

  it('shows a dash when the duration is unknown', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
  });
});
