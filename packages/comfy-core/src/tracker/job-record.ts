import type {
  ImageRef,
  JobError,
  JobSnapshot,
  JobStatus,
  StreamEvent,
  Workflow,
} from '@comfy-gateway/schema';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { ComfyHistoryEntry } from '../types.ts';
import type { JobState, StoredJob } from './job-repository.ts';

/** Hands an event to the job's subscribers (the event bus numbers and buffers it). */
export type Emit = (event: StreamEvent) => void;

/** Everything the tracker knows about one prompt: the durable `JobState` plus live progress. */
export interface JobRecord {
  id: string;
  status: JobStatus;
  ownSocket: boolean;
  prompt: Workflow | undefined;
  queuePosition: number | null;
  value: number;
  max: number;
  node: string | null;
  cached: Set<string>;
  done: Set<string>;
  images: ImageRef[];
  error: JobError | undefined;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** ComfyUI's queue number, when known. */
  number: number | null;
  /** Seen alive upstream (an event, or in /queue): missing from both /queue and history is then final. */
  seen: boolean;
  missingPasses: number;
  cancelRequested: boolean;
  /** Final state came from polling, not from the socket. */
  endedByPolling: boolean;
  /** Followed again after a restart: polled until it ends, as its events may go to an old client id. */
  restored: boolean;
  /** The pool member that runs it (images carry its name); absent with one server. */
  backend?: string;
}

export function newRecord(
  id: string,
  o: { prompt?: Workflow; ownSocket: boolean; now: number; number?: number },
): JobRecord {
  return {
    id,
    status: 'queued',
    ownSocket: o.ownSocket,
    prompt: o.prompt,
    queuePosition: null,
    value: 0,
    max: 1,
    node: null,
    cached: new Set(),
    done: new Set(),
    images: [],
    error: undefined,
    createdAt: o.now,
    startedAt: null,
    finishedAt: null,
    number: o.number ?? null,
    seen: false,
    missingPasses: 0,
    cancelRequested: false,
    endedByPolling: false,
    restored: false,
  };
}

/** A record rebuilt from what the repository holds (restart, or answering for a pruned job). */
export function recordFromStored(stored: StoredJob): JobRecord {
  const job = newRecord(stored.promptId, {
    ...(stored.prompt ? { prompt: stored.prompt } : {}),
    ownSocket: stored.ownSocket,
    now: stored.createdAt,
  });
  job.status = stored.status;
  job.images = [...stored.images];
  job.error = stored.error ?? undefined;
  job.startedAt = stored.startedAt;
  job.finishedAt = stored.finishedAt;
  return job;
}

/** The durable part of a record, as the repository stores it (with what was known at accept). */
export const stateOf = (job: JobRecord, eventIdFloor: number): JobState & StoredJob => ({
  promptId: job.id,
  status: job.status,
  images: [...job.images],
  error: job.error ?? null,
  startedAt: job.startedAt,
  finishedAt: job.finishedAt,
  eventIdFloor,
  prompt: job.prompt ?? null,
  ownSocket: job.ownSocket,
  createdAt: job.createdAt,
});

/** Whole-run percent: finished nodes plus the current node's steps, over the nodes that will run. */
const SAMPLERS = new Set(['KSampler', 'KSamplerAdvanced', 'SamplerCustom', 'SamplerCustomAdvanced']);

/** A node's share of the run: samplers weigh their steps (they are nearly all the time), others 1. */
function weightOf(prompt: Workflow, id: string): number {
  const node = prompt[id];
  if (!node || !SAMPLERS.has(node.class_type)) return 1;
  const steps = node.inputs['steps'];
  if (typeof steps === 'number' && steps > 0) return steps;
  // Custom samplers take their steps from the scheduler; split stages share them.
  const nodes = Object.values(prompt);
  const scheduled = nodes.find((n) => n.class_type === 'BasicScheduler')?.inputs['steps'];
  const stages = nodes.filter((n) => n.class_type === 'SamplerCustomAdvanced').length || 1;
  return typeof scheduled === 'number' && scheduled > 0 ? Math.max(1, scheduled / stages) : 20;
}

/** Whole-run percent: finished nodes plus the current node's steps, weighted by `weightOf`. */
export function percentOf(job: JobRecord): number {
  if (job.status === 'completed') return 100;
  if (job.status === 'queued') return 0;
  const frac = job.max > 0 ? Math.min(1, job.value / job.max) : 0;
  const prompt = job.prompt;
  const ids = prompt ? Object.keys(prompt).filter((id) => !job.cached.has(id)) : [];
  if (!prompt || ids.length === 0) return Math.round(frac * 1000) / 10;
  let total = 0;
  let done = 0;
  for (const id of ids) {
    const w = weightOf(prompt, id);
    total += w;
    if (job.done.has(id)) done += w;
    else if (id === job.node) done += w * frac;
  }
  return Math.min(99, Math.round((done / total) * 1000) / 10);
}

export function snapshotOf(job: JobRecord): JobSnapshot {
  const classType = job.node ? job.prompt?.[job.node]?.class_type : undefined;
  const title = job.node ? job.prompt?.[job.node]?._meta?.title : undefined;
  return {
    prompt_id: job.id,
    status: job.status,
    queue_position: job.status === 'queued' ? job.queuePosition : null,
    progress: { value: job.value, max: job.max, node: job.node, percent: percentOf(job) },
    current_node:
      job.node && job.status === 'running'
        ? { id: job.node, ...(classType ? { class_type: classType } : {}), ...(title ? { title } : {}) }
        : null,
    images: [...job.images],
    ...(job.error ? { error: job.error } : {}),
    followed_by: job.ownSocket ? 'socket' : 'polling',
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
  };
}

/** Collects `{filename, subfolder, type}` entries from a node's UI output (images, gifs, ...). */
export function imagesOf(output: Record<string, unknown> | null | undefined, backend?: string): ImageRef[] {
  const refs: ImageRef[] = [];
  for (const key of ['images', 'gifs']) {
    const list = output?.[key];
    if (!Array.isArray(list)) continue;
    for (const item of list as Array<Record<string, unknown>>) {
      if (typeof item?.['filename'] !== 'string') continue;
      const type = item['type'] === 'temp' || item['type'] === 'input' ? item['type'] : 'output';
      refs.push({
        filename: item['filename'],
        subfolder: typeof item['subfolder'] === 'string' ? item['subfolder'] : '',
        type,
        ...(backend !== undefined ? { backend } : {}),
      });
    }
  }
  return refs;
}

/** The final status a history entry records (interrupts are `error` with a telling last message). */
export function statusFromHistory(entry: ComfyHistoryEntry): { status: JobStatus; error?: JobError } {
  if (entry.status.status_str === 'success') return { status: 'completed' };
  const last = entry.status.messages.at(-1);
  const data: Record<string, unknown> = last?.[1] ?? {};
  const nodeFields = {
    node_id: typeof data['node_id'] === 'string' ? data['node_id'] : null,
    node_type: typeof data['node_type'] === 'string' ? data['node_type'] : null,
  };
  if (last?.[0] === 'execution_interrupted') {
    return { status: 'interrupted', error: { code: 'interrupted', message: 'interrupted', ...nodeFields } };
  }
  const message =
    typeof data['exception_message'] === 'string' ? data['exception_message'] : 'execution failed';
  const type = typeof data['exception_type'] === 'string' ? { exception_type: data['exception_type'] } : {};
  return { status: 'failed', error: { code: 'execution_error', message, ...nodeFields, ...type } };
}

export const isFinal = (job: JobRecord): boolean => isFinalJobStatus(job.status);
