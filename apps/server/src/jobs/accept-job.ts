import { randomUUID } from 'node:crypto';
import type { ComfyPool, PoolJob } from '@comfy-gateway/comfy-core';
import { contentHash } from '@comfy-gateway/comfy-core/cache';
import type { ComfyQueueResponse, JobKind, User, Workflow } from '@comfy-gateway/schema';
import type { ServerConfig } from '../env.ts';
import { GatewayError } from '../errors.ts';
import type { JobLedger } from './job-ledger.ts';
import { guardWorkflow } from './workflow-guard.ts';

/** Seconds a refused submit is told to wait: jobs end on their own time, so a short poll. */
const RETRY_AFTER_S = 5;

export interface JobSubmission {
  workflow: Workflow;
  kind: JobKind;
  params: Record<string, unknown> | null;
  /** A caller's own client_id: ComfyUI then sends events to it only, the gateway polls. */
  clientId?: string | undefined;
  user: Pick<User, 'id'>;
  idempotencyKey?: string | undefined;
  /** Checked by the caller (admins only); 0 when absent. */
  priority?: number | undefined;
}

/**
 * Accepting a job: checks, the gateway-wide and per-user caps, then the ledger row (`queued`)
 * under a prompt id picked here, then the gateway queue. When a server has room the job is sent at
 * once and ComfyUI's refusal is the submit's answer (the row goes again); a timeout or a lost
 * connection is no refusal: the row stays and the server's queue and history decide.
 */
export function createJobAcceptor(deps: {
  config: Pick<ServerConfig, 'queueMaxPending' | 'userMaxActiveJobs' | 'nodeAllowlist'>;
  ledger: JobLedger;
  /** The pool (its client id); 503 COMFY_DISABLED when the integration is off. */
  pool: () => ComfyPool;
  /** Into the gateway queue: this process's, or (a cluster's standby) the lease holder's. */
  submit: (job: PoolJob) => Promise<void>;
  /** Unfinished jobs the cap counts (a cluster: all instances', from the ledger). */
  activeCount: () => Promise<number>;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  // Submits between their cap check and ComfyUI's answer: counted so the cap holds under bursts.
  let reserved = 0;

  return async (s: JobSubmission): Promise<ComfyQueueResponse> => {
    guardWorkflow(s.workflow, { allowlist: deps.config.nodeAllowlist });
    const pool = deps.pool();
    const cap = deps.config.queueMaxPending;
    const active = await deps.activeCount();
    if (cap !== null && active + reserved >= cap) {
      throw new GatewayError(
        'RATE_LIMITED',
        `the gateway already has ${cap} unfinished prompts (QUEUE_MAX_PENDING)`,
        { retry_after_s: RETRY_AFTER_S },
      );
    }
    reserved++;
    try {
      const maxActive = (await deps.ledger.capOf(s.user.id)) ?? deps.config.userMaxActiveJobs;
      const promptId = randomUUID();
      const gatewayClientId = pool.clientId;
      const ownSocket = s.clientId === undefined || s.clientId === gatewayClientId;
      const accepted = await deps.ledger.accept(
        {
          promptId,
          ownerId: s.user.id,
          kind: s.kind,
          params: s.params,
          workflow: s.workflow,
          workflowHash: contentHash(s.workflow),
          priority: s.priority ?? 0,
          idempotencyKey: s.idempotencyKey ?? null,
          ownSocket,
          createdAt: now(),
        },
        { maxActive },
      );
      if (!accepted) {
        throw new GatewayError(
          'RATE_LIMITED',
          `you already have ${maxActive} unfinished jobs; wait for one to end (USER_MAX_ACTIVE_JOBS)`,
          { retry_after_s: RETRY_AFTER_S },
        );
      }
      try {
        // The row is written: the job waits in the gateway queue (a restart rebuilds it from the ledger).
        await deps.submit({
          promptId,
          owner: String(s.user.id),
          priority: s.priority ?? 0,
          workflow: s.workflow,
          clientId: s.clientId,
          createdAt: now(),
        });
      } catch (err) {
        await deps.ledger.remove(promptId);
        throw err;
      }
      return { prompt_id: promptId, client_id: s.clientId ?? gatewayClientId };
    } finally {
      reserved--;
    }
  };
}

export type JobAcceptor = ReturnType<typeof createJobAcceptor>;
