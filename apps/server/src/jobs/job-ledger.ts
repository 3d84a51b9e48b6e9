import type { PendingJob, PoolRepository } from '@comfy-gateway/comfy-core';
import type { ImageRef, JobError, JobKind, JobStatus, Workflow } from '@comfy-gateway/schema';

/** One row of the ledger, as the server code sees it (whatever the database). */
export interface LedgerJob {
  promptId: string;
  /** Null for prompts the gateway did not queue (found on ComfyUI): admins only. */
  ownerId: number | null;
  kind: JobKind;
  params: Record<string, unknown> | null;
  workflow: Workflow | null;
  workflowHash: string | null;
  status: JobStatus;
  error: JobError | null;
  images: ImageRef[];
  priority: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  idempotencyKey: string | null;
  backend: string | null;
  eventIdFloor: number;
  ownSocket: boolean;
}

/** What the gateway knows when it accepts a job, before anything reaches ComfyUI. */
export type AcceptedJob = Pick<
  LedgerJob,
  'promptId' | 'kind' | 'params' | 'workflow' | 'workflowHash' | 'priority' | 'idempotencyKey' | 'ownSocket'
> & { ownerId: number; createdAt: number };

export interface LedgerListQuery {
  /** One owner, or every job (`all`, admins). */
  owner: number | 'all';
  status?: JobStatus | undefined;
  kind?: JobKind | undefined;
  /** Opaque position from the previous page. */
  cursor?: string | undefined;
  limit: number;
}

/**
 * The job ledger: written at acceptance by the server and at every state change by the tracker
 * (through `repository`). Async throughout so another database dialect slots in unchanged.
 */
export interface JobLedger {
  /** Writes a `queued` row unless the owner already has `maxActive` unfinished jobs (then false). */
  accept(job: AcceptedJob, limits: { maxActive: number }): Promise<boolean>;
  /** Drops a row whose upstream call failed, so nothing half-written stays behind. */
  remove(promptId: string): Promise<void>;
  byId(promptId: string): Promise<LedgerJob | undefined>;
  /** The job as the pool adopts it (another instance accepted it); undefined when final or absent. */
  pending(promptId: string): Promise<PendingJob | undefined>;
  /** Unfinished jobs of everyone (QUEUE_MAX_PENDING across a cluster). */
  activeCount(): Promise<number>;
  /** Newest first; `nextCursor` is null on the last page. */
  list(q: LedgerListQuery): Promise<{ items: LedgerJob[]; nextCursor: string | null }>;
  /** Owners of the given prompts; prompts without a row are absent from the map. */
  ownersOf(promptIds: readonly string[]): Promise<Map<string, number | null>>;
  /** Servers whose jobs (this owner's; null: anyone's) made the file: a `/view` without `backend`. */
  imageBackends(ownerId: number | null, ref: ImageRef): Promise<string[]>;
  /** True when the file is among the images of a job this user owns. */
  ownsImage(ownerId: number, ref: ImageRef): Promise<boolean>;
  /** The user's own cap on unfinished jobs, null for the server default. */
  capOf(userId: number): Promise<number | null>;
  /** The tracker's (and the pool dispatcher's) view of the same table. */
  repository: PoolRepository;
}
