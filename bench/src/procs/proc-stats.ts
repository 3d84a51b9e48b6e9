/** What every benchmark process reports about itself. */
export interface ProcStats {
  pid: number;
  /** user + system CPU time, microseconds since the process started. */
  cpuUs: number;
  mem: NodeJS.MemoryUsage;
}

/** This process's CPU time and memory; a full GC first when asked and exposed (--expose-gc). */
export function procStats(req: { gc?: boolean } = {}): ProcStats {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (req.gc && gc) {
    gc();
    gc();
  }
  const cpu = process.cpuUsage();
  return { pid: process.pid, cpuUs: cpu.user + cpu.system, mem: process.memoryUsage() };
}

/** CPU microseconds spent between two samples of the same process. */
export const cpuDelta = (a: ProcStats, b: ProcStats): number => b.cpuUs - a.cpuUs;
