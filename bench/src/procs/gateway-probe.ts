/**
 * Preloaded (`--import`) into a gateway process started by the benchmarks: answers `stats` (CPU
 * time, memory after GC) and CPU profiles over IPC, so the bench reads the gateway's own numbers
 * without changing it.
 */
import { serveIpc } from './ipc.ts';
import { procStats } from './proc-stats.ts';
import { startProfile, stopProfile } from './profile.ts';

serveIpc({
  stats: (req: { gc?: boolean }) => procStats(req),
  profileStart: () => startProfile().then(() => true),
  profileStop: (req: { top?: number }) => stopProfile(req.top),
});
