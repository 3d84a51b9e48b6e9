import { describe, expect, it } from 'vitest';
import { heartbeatTimerCount, joinHeartbeat } from './heartbeats.ts';

describe('joinHeartbeat', () => {
  it('shares one timer per interval between streams and stops it with the last one', async () => {
    const before = heartbeatTimerCount();
    const beats = { a: 0, b: 0 };
    const leaveA = joinHeartbeat(5, () => beats.a++);
    const leaveB = joinHeartbeat(5, () => beats.b++);
    expect(heartbeatTimerCount()).toBe(before + 1);
    await new Promise<void>((resolve) => {
      const leaveWatch = joinHeartbeat(5, () => {
        if (beats.a >= 2) {
          leaveWatch();
          resolve();
        }
      });
    });
    expect(beats.b).toBeGreaterThanOrEqual(2);
    leaveA();
    expect(heartbeatTimerCount()).toBe(before + 1);
    leaveB();
    expect(heartbeatTimerCount()).toBe(before);
  });
});
