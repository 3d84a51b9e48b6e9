import type { ComfyObjectInfo, Workflow } from '@comfy-gateway/schema';
import type { ComfyConnection } from '../connection.ts';
import type { JobRepository, StoredJob } from '../tracker/job-repository.ts';

/** One ComfyUI server of a pool, with what the dispatcher needs to choose it. */
export interface PoolMember {
  name: string;
  baseUrl: string;
  /** Breaks ties between equally loaded servers (higher first). */
  weight: number;
  /** Prompts on this server at once (one running plus one waiting keeps the GPU busy). */
  maxInFlight: number;
  connection: ComfyConnection;
  /** No new jobs; running ones finish. */
  draining: boolean;
  /**
   * No new jobs until the copies of moved jobs this server may still hold are removed: set at
   * start and when jobs are taken back from it while unreachable, cleared once `removeStaleCopies`
   * is done after a connect.
   */
  fenced: boolean;
  /** The last object_info read (capability checks are synchronous); null until first connect. */
  objectInfo: ComfyObjectInfo | null;
  /** Bumped whenever `objectInfo` changes, so cached capability answers are redone. */
  infoVersion: number;
}

/** An unfinished job as the repository holds it, with the pool's fields. */
export interface PendingJob {
  stored: StoredJob;
  owner: string;
  priority: number;
  /** The server it was sent to; null while in the gateway queue. */
  backend: string | null;
}

/** The repository a pool needs: the tracker's contract plus the dispatcher's fields. */
export interface PoolRepository extends JobRepository {
  /** Records the server a job was sent to (null: back in the gateway queue). */
  assign(promptId: string, backend: string | null): Promise<void>;
  setPriority(promptId: string, priority: number): Promise<void>;
  /** Every unfinished job, oldest first (a restart rebuilds the gateway queue from them). */
  listPending(): Promise<PendingJob[]>;
}

/** A job handed to the pool after it was accepted (its row is written already). */
export interface PoolJob {
  promptId: string;
  owner: string;
  priority: number;
  workflow: Workflow;
  /** A caller's own client_id (then followed by polling). */
  clientId?: string | undefined;
  createdAt: number;
}
