/* eslint-disable @typescript-eslint/require-await -- async JobRepository contract over a Map: `async` turns a throw into a rejection */
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { JobRepository, JobState, StoredJob } from './job-repository.ts';

/**
 * Job state in a Map: the tracker's default, and the repository of tests and embedders.
 * The tracker's saves carry the `StoredJob` fields too, so rows it creates are complete.
 * Finished jobs beyond `maxFinished` are dropped oldest first; unfinished ones always stay.
 */
export function createMemoryJobRepository(o: { maxFinished?: number; now?: () => number } = {}) {
  const rows = new Map<string, StoredJob>();
  const maxFinished = o.maxFinished ?? 10_000;
  const now = o.now ?? Date.now;
  let finished = 0;

  const trim = () => {
    if (finished <= maxFinished) return;
    for (const [id, row] of rows) {
      if (finished <= maxFinished) break;
      if (!isFinalJobStatus(row.status)) continue;
      rows.delete(id);
      finished--;
    }
  };

  const repository: JobRepository & { size(): number } = {
    async saveState(state: JobState & Partial<StoredJob>): Promise<void> {
      const old = rows.get(state.promptId);
      const row: StoredJob = {
        prompt: state.prompt ?? old?.prompt ?? null,
        ownSocket: state.ownSocket ?? old?.ownSocket ?? false,
        createdAt: state.createdAt ?? old?.createdAt ?? now(),
        promptId: state.promptId,
        status: state.status,
        images: [...state.images],
        error: state.error,
        startedAt: state.startedAt,
        finishedAt: state.finishedAt,
        eventIdFloor: state.eventIdFloor,
      };
      finished += Number(isFinalJobStatus(row.status)) - Number(old ? isFinalJobStatus(old.status) : 0);
      // Re-inserted so the Map's order is the order jobs were last written (oldest first).
      rows.delete(state.promptId);
      rows.set(state.promptId, row);
      trim();
    },
    async load(promptId) {
      const row = rows.get(promptId);
      return row ? { ...row, images: [...row.images] } : undefined;
    },
    async listUnfinished() {
      return [...rows.values()].filter((r) => !isFinalJobStatus(r.status)).map((r) => ({ ...r }));
    },
    size: () => rows.size,
  };
  return repository;
}
