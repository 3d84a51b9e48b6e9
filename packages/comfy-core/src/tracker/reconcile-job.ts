import type { JobError, JobStatus } from '@comfy-gateway/schema';
import type { ComfyHistoryEntry, ComfyQueue } from '../types.ts';
import { imagesOf, isFinal, snapshotOf, statusFromHistory } from './job-record.ts';
import type { Emit, JobRecord } from './job-record.ts';

/** Applies `/queue` to one job; false when the prompt is in neither list. */
export function applyQueue(job: JobRecord, queue: ComfyQueue, now: number, emit: Emit): boolean {
  const running = queue.running.find((q) => q.prompt_id === job.id);
  if (running) {
    job.seen = true;
    job.missingPasses = 0;
    job.number ??= running.number;
    if (job.status === 'queued') {
      job.status = 'running';
      job.queuePosition = null;
      job.startedAt ??= now;
      emit({ type: 'status', snapshot: snapshotOf(job) });
    }
    return true;
  }
  const pos = queue.pending.findIndex((q) => q.prompt_id === job.id);
  if (pos < 0) return false;
  job.seen = true;
  job.missingPasses = 0;
  job.number ??= queue.pending[pos]?.number ?? null;
  if (job.status === 'queued' && job.queuePosition !== pos) {
    job.queuePosition = pos;
    emit({ type: 'status', snapshot: snapshotOf(job) });
  }
  return true;
}

/** Adds the history entry's images the socket did not deliver; returns the final state it records. */
export function absorbHistory(
  job: JobRecord,
  entry: ComfyHistoryEntry,
  emit: Emit,
): { status: JobStatus; error?: JobError } {
  if (isFinal(job)) return { status: job.status };
  const found = Object.values(entry.outputs).flatMap((o) => imagesOf(o, job.backend));
  const same = (a: { filename: string; subfolder: string; type: string }, b: typeof a) =>
    a.filename === b.filename && a.subfolder === b.subfolder && a.type === b.type;
  const fresh = found.filter((r) => !job.images.some((i) => same(i, r)));
  if (fresh.length > 0) {
    job.images.push(...fresh);
    emit({ type: 'images', node: null, images: fresh });
  }
  job.prompt ??= entry.prompt.prompt;
  job.number ??= entry.prompt.number;
  return statusFromHistory(entry);
}

/** The error of a prompt ComfyUI no longer knows. */
export const VANISHED: JobError = {
  code: 'vanished',
  message: 'ComfyUI lost the prompt; it probably restarted (it is neither queued nor in history)',
};
