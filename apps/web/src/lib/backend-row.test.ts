import { describe, expect, it } from 'vitest';
import { backendLoad, backendLoadPercent, backendStateLabel } from './backend-row.ts';

const base = {
  name: 's1',
  state: 'connected' as const,
  in_flight: 2,
  queue_remaining: 1,
  version: '0.3.40',
  draining: false,
  max_in_flight: 2,
};

describe('backend rows', () => {
  it('shows draining over the connection state', () => {
    expect(backendStateLabel(base)).toBe('connected');
    expect(backendStateLabel({ ...base, draining: true })).toBe('draining');
    expect(backendStateLabel({ ...base, state: 'degraded' })).toBe('degraded');
  });

  it('states the load as slots in use, running and waiting', () => {
    expect(backendLoad(base)).toBe('2 / 2 in flight (1 running, 1 waiting)');
    expect(backendLoad({ ...base, in_flight: 0, queue_remaining: 0 })).toBe('0 / 2 in flight (0 running)');
    expect(backendLoadPercent(base)).toBe(100);
    expect(backendLoadPercent({ ...base, in_flight: 1, max_in_flight: 4 })).toBe(25);
  });
});
