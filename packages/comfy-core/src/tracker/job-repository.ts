import type { ImageRef, JobError, JobStatus, Workflow } from '@comfy-gateway/schema';

/**
 * The durable part of a job that the tracker owns. Written at every state change (queued ->
 * running, images, each final state), never per progress step.
 */
export interface JobState {
  promptId: string;
  status: JobStatus;
  images: ImageRef[];
  error: JobError | null;
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * Event ids up to this one may have been handed out: after a restart numbering continues above
   * it (ids may skip, never repeat). The tracker reserves ids in blocks so this is not per event.
   * Once the job is final it is exactly the id of its `done` event.
   */
  eventIdFloor: number;
}

/** A job as the ledger holds it: the tracker's state plus what was known when it was accepted. */
export interface StoredJob extends JobState {
  prompt: Workflow | null;
  /** Queued with the gateway's client id (events arrive over the socket), else followed by polling. */
  ownSocket: boolean;
  createdAt: number;
}

/**
 * Where the tracker keeps job state. The server's ledger implements it over its database; the
 * in-memory one serves tests and embedders. Async so another database dialect fits unchanged.
 */
export interface JobRepository {
  /**
   * Writes the tracker-owned fields; a job the repository has no row for is created. The tracker
   * passes a whole `StoredJob` (prompt, ownSocket, createdAt too); a repository may ignore those.
   */
  saveState(state: JobState): Promise<void>;
  /** The stored job, for answering after the in-memory record is gone. */
  load(promptId: string): Promise<StoredJob | undefined>;
  /** Jobs in no final state: followed again after a restart. */
  listUnfinished(): Promise<StoredJob[]>;
}
