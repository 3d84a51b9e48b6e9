import { gc } from './stack.ts';

export interface MemPeak {
  /** Peak growth over the baseline, bytes. */
  heap: number;
  external: number;
  rss: number;
  /** heapUsed + external (external includes arrayBuffers: Buffers of streamed chunks). */
  js: number;
}

/** Samples this process's memory every `everyMs` while `fn` runs; growth over a post-GC baseline. */
export async function measurePeak<T>(
  fn: () => Promise<T>,
  everyMs = 5,
  minorGc = true,
): Promise<{ value: T; peak: MemPeak }> {
  gc();
  const base = process.memoryUsage();
  const peak: MemPeak = { heap: 0, external: 0, rss: 0, js: 0 };
  const g = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
  const sample = () => {
    // A scavenge first, so the peak is live bytes and not young garbage waiting for a GC.
    if (minorGc) g?.({ type: 'minor' });
    const m = process.memoryUsage();
    peak.heap = Math.max(peak.heap, m.heapUsed - base.heapUsed);
    peak.external = Math.max(peak.external, m.external - base.external);
    peak.rss = Math.max(peak.rss, m.rss - base.rss);
    peak.js = Math.max(peak.js, m.heapUsed + m.external - base.heapUsed - base.external);
  };
  const timer = setInterval(sample, everyMs);
  try {
    const value = await fn();
    sample();
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}
