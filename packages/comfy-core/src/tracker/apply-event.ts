import type { JobError, JobStatus } from '@comfy-gateway/schema';
import type { ComfyEvent } from '../client/events.ts';
import { imagesOf, snapshotOf } from './job-record.ts';
import type { Emit, JobRecord } from './job-record.ts';

export interface EventOutcome {
  final?: JobStatus;
  error?: JobError;
  /** `executing {node: null}`: the run is over, whether or not its final event arrived. */
  ended?: boolean;
}

const markRunning = (job: JobRecord, now: number) => {
  if (job.status !== 'queued') return;
  job.status = 'running';
  job.queuePosition = null;
  job.startedAt ??= now;
};

/** Applies one socket event to a job and emits what subscribers should see. */
export function applyEvent(job: JobRecord, ev: ComfyEvent, now: number, emit: Emit): EventOutcome {
  if (ev.type !== 'preview' && ev.type !== 'text') job.seen = true;
  switch (ev.type) {
    case 'execution_start':
      markRunning(job, now);
      emit({ type: 'status', snapshot: snapshotOf(job) });
      return {};
    case 'execution_cached': {
      for (const n of ev.nodes) job.cached.add(n);
      // execution_start may have been missed; this proves the run began just the same.
      const wasQueued = job.status === 'queued';
      markRunning(job, now);
      if (wasQueued) emit({ type: 'status', snapshot: snapshotOf(job) });
      return {};
    }
    case 'executing':
      if (ev.node === null) return { ended: true };
      markRunning(job, now);
      if (job.node && job.node !== ev.node) job.done.add(job.node);
      job.node = ev.node;
      job.value = 0;
      job.max = 1;
      emit({ type: 'status', snapshot: snapshotOf(job) });
      return {};
    case 'progress':
      markRunning(job, now);
      job.node = ev.node ?? job.node;
      job.value = ev.value;
      job.max = ev.max;
      emit({ type: 'status', snapshot: snapshotOf(job) });
      return {};
    case 'progress_state': {
      const before = job.done.size;
      for (const [id, p] of Object.entries(ev.nodes)) if (p.state === 'finished') job.done.add(id);
      const wasQueued = job.status === 'queued';
      markRunning(job, now);
      // Prompts without a client id get only these: they are the whole progress signal then.
      if (wasQueued || (job.done.size !== before && !job.ownSocket))
        emit({ type: 'status', snapshot: snapshotOf(job) });
      return {};
    }
    case 'executed': {
      job.done.add(ev.node);
      const images = imagesOf(ev.output, job.backend);
      if (images.length > 0) {
        job.images.push(...images);
        emit({ type: 'images', node: ev.node, images });
      }
      return {};
    }
    case 'preview':
      emit({
        type: 'preview',
        node: ev.node_id ?? job.node,
        mime: ev.mime,
        data: Buffer.from(ev.data).toString('base64'),
      });
      return {};
    case 'execution_success':
      return { final: 'completed' };
    case 'execution_error':
      return {
        final: 'failed',
        error: {
          code: 'execution_error',
          message: ev.exception_message,
          node_id: ev.node_id,
          node_type: ev.node_type,
          exception_type: ev.exception_type,
        },
      };
    case 'execution_interrupted':
      return {
        final: 'interrupted',
        error: { code: 'interrupted', message: 'interrupted', node_id: ev.node_id, node_type: ev.node_type },
      };
    default:
      return {};
  }
}
