import type { JobTracker } from '@comfy-gateway/comfy-core';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { JobLedger } from './job-ledger.ts';

/**
 * Writes a prompt's state changes into the ledger while the tracker cannot (until it takes a
 * repository itself): status changes, images and the final state.
 */
export function followIntoLedger(tracker: JobTracker, ledger: JobLedger, promptId: string): void {
  let last = '';
  const save = () => {
    const s = tracker.get(promptId);
    if (!s) return;
    const key = `${s.status}:${s.images?.length ?? 0}`;
    if (key === last) return;
    last = key;
    void ledger.repository
      .saveState({
        promptId,
        status: s.status,
        images: s.images ?? [],
        error: s.error ?? null,
        startedAt: s.started_at ?? null,
        finishedAt: s.finished_at ?? null,
        eventIdFloor: 0,
      })
      .catch(() => undefined);
  };
  const stop = tracker.subscribe(promptId, (e) => {
    if (e.event.type === 'preview') return;
    save();
    if (e.event.type === 'done') stop();
  });
  save();
  const now = tracker.get(promptId);
  if (now && isFinalJobStatus(now.status)) stop();
}
