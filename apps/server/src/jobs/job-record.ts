import type { HistorySummary, JobRecord, JobSnapshot, JobSummary } from '@comfy-gateway/schema';
import type { LedgerJob } from './job-ledger.ts';

/** A ledger row as `GET /jobs` lists it (no workflow). */
export function toJobSummary(j: LedgerJob): JobSummary {
  return {
    prompt_id: j.promptId,
    owner_id: j.ownerId,
    kind: j.kind,
    params: j.params,
    status: j.status,
    error: j.error,
    images: j.images,
    priority: j.priority,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
    duration_ms: j.startedAt !== null && j.finishedAt !== null ? j.finishedAt - j.startedAt : null,
    backend: j.backend,
  };
}

/** The full record of `GET /jobs/:prompt_id`. */
export function toJobRecord(j: LedgerJob): JobRecord {
  return { ...toJobSummary(j), workflow: j.workflow, workflow_hash: j.workflowHash };
}

/** A status answer for a job the tracker no longer (or not yet) holds in memory. */
export function snapshotFromLedger(j: LedgerJob): JobSnapshot {
  return {
    prompt_id: j.promptId,
    status: j.status,
    queue_position: null,
    images: j.images,
    ...(j.error ? { error: j.error } : {}),
    followed_by: j.ownSocket ? 'socket' : 'polling',
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
  };
}

/** History from the ledger when ComfyUI no longer has the entry: outputs, status and the graph. */
export function historyFromLedger(j: LedgerJob): HistorySummary {
  return {
    prompt_id: j.promptId,
    status: j.status,
    progress: j.status === 'completed' ? 100 : 0,
    images: j.images,
    items: [],
    ...(j.workflow ? { workflow: j.workflow } : {}),
  };
}
