import { describe, expect, it } from 'vitest';
import type { EventFacts } from './event-scan.ts';
import { newFacts } from './event-scan.ts';
import { Subscription, newGroup } from './subscription.ts';

const ev = (type: string, id: number, step?: [string, number, number], otherPrompt = false): EventFacts => ({
  ...newFacts(),
  type,
  id,
  otherPrompt,
  ...(step ? { progress: true, node: step[0], value: step[1], max: step[2] } : {}),
});

function run(events: EventFacts[], why?: string) {
  const g = newGroup();
  const failures: (string | null)[] = [];
  const s = new Subscription(g, 'p', (f) => failures.push(f));
  events.forEach((e, i) => s.event(e, 1000 + i));
  s.end(why);
  s.end('twice'); // counted once
  return { g, failures };
}

describe('Subscription', () => {
  it('records each sampler step once, at its first arrival, and counts done', () => {
    const { g, failures } = run([
      ev('status', 1, ['sampler', 1, 20]),
      ev('status', 2, ['sampler', 1, 20]),
      ev('status', 3, ['sampler', 2, 20]),
      ev('status', 4, ['decode', 0, 1]), // not a sampler step (max 1)
      ev('status', 5, ['sampler', 1, 20]), // seen before, not consecutive
      ev('done', 6),
    ]);
    expect(g.arrivals).toEqual({ 'p|sampler|1': [1000], 'p|sampler|2': [1002] });
    expect(g).toMatchObject({ subs: 1, done: 1, failed: 0, disordered: 0, events: 6, steps: [2] });
    expect(failures).toEqual([null]);
  });

  it('counts a subscription whose ids did not increase', () => {
    expect(run([ev('status', 2), ev('status', 2), ev('done', 3)]).g).toMatchObject({
      disordered: 1,
      done: 1,
    });
    expect(run([ev('status', 5), ev('status', NaN), ev('done', 6)]).g.disordered).toBe(0);
  });

  it('fails a subscription that ended before done, or got an event of another prompt', () => {
    expect(run([ev('status', 1)], 'socket closed')).toMatchObject({ failures: ['socket closed'] });
    const other = run([ev('status', 1, ['sampler', 1, 20], true), ev('done', 2)]);
    expect(other.g).toMatchObject({ done: 0, failed: 1, arrivals: {} });
    expect(other.failures[0]).toMatch(/another prompt/);
  });
});
