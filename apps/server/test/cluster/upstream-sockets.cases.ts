import { describe, expect, it } from 'vitest';
import { statusCounts, submitSpread } from './cluster-calls.ts';
import type { MultiCluster } from './multi-process.ts';

/**
 * Exactly one upstream socket per ComfyUI server in the cluster. Run it last on a cluster: the
 * peaks are counted from the cluster's start, so they cover every case run before it too.
 */
export function upstreamSocketCases(cluster: () => MultiCluster): void {
  describe('one upstream socket per ComfyUI server for the whole cluster', () => {
    it('never more than one per simulator while jobs submitted on A, B and C run, and one once settled', async () => {
      const c = cluster();
      const holder = await c.settledHolder(15_000);
      const gus = await c.createUser('gus@example.com');
      await c.setJobCap(gus, 100);
      const ids = await submitSpread(c.instances, gus.token, 30, { steps: 5 });
      const ledger = await c.ledgerOnceCompleted(ids, 30_000);
      expect(statusCounts(ledger, ids)).toEqual({ completed: ids.length });
      expect(c.upstreamPeaks(), c.diagnostics()).toEqual([1, 1]);
      expect(c.upstreamNow()).toEqual([1, 1]);
      // The same instance still holds (nothing made the lease move) and the others stand by.
      expect(await c.settledHolder()).toBe(holder);
      expect(c.upstreamPeaks()).toEqual([1, 1]);
    }, 90_000);
  });
}
