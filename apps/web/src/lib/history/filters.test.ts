import { describe, expect, it } from 'vitest';
import { historyHref, parseJobFilters, withJobFilter } from './filters.ts';

describe('history filters', () => {
  it('reads a known status and kind', () => {
    expect(parseJobFilters(new URLSearchParams('status=failed&kind=workflow'))).toEqual({
      status: 'failed',
      kind: 'workflow',
    });
  });

  it('drops unknown or empty values instead of sending them to the server', () => {
    expect(parseJobFilters(new URLSearchParams('status=exploded&kind='))).toEqual({});
  });

  it('round-trips through the URL it builds', () => {
    const href = historyHref({ status: 'completed', kind: 'text2img' });
    expect(href).toBe('/history?status=completed&kind=text2img');
    expect(parseJobFilters(new URL(href, 'http://x').searchParams)).toEqual({
      status: 'completed',
      kind: 'text2img',
    });
    expect(historyHref({})).toBe('/history');
  });

  it('changes or clears one filter and keeps the other', () => {
    expect(withJobFilter({ status: 'failed' }, 'kind', 'workflow')).toEqual({
      status: 'failed',
      kind: 'workflow',
    });
    expect(withJobFilter({ status: 'failed', kind: 'workflow' }, 'status', '')).toEqual({ kind: 'workflow' });
    expect(withJobFilter({ kind: 'workflow' }, 'kind', 'bogus')).toEqual({});
  });
});
