import { randomUUID } from 'node:crypto';
import type { ComfyConnection } from '@comfy-gateway/comfy-core';
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
}

/**
 * Accepting a job: checks, the gateway-wide and per-user caps, then the ledger row (`queued`)
 * under a prompt id picked here, then ComfyUI. An upstream refusal removes the row again.
 */
export function createJobAcceptor(deps: {
  config: Pick<ServerConfig, 'queueMaxPending' | 'userMaxActiveJobs' | 'nodeAllowlist'>;
  ledger: JobLedger;
  conn: () => ComfyConnection;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  // Submits between their cap check and ComfyUI's answer: counted so the cap holds under bursts.
  let reserved = 0;

  return async (s: JobSubmission): Promise<ComfyQueueResponse> => {
    guardWorkflow(s.workflow, { allowlist: deps.config.nodeAllowlist });
    const c = deps.conn();
    const cap = deps.config.queueMaxPending;
    if (cap !== null && c.tracker.activeCount() + reserved >= cap) {
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
      const ownSocket = s.clientId === undefined || s.clientId === c.clientId;
      const accepted = await deps.ledger.accept(
        {
          promptId,
          ownerId: s.user.id,
          kind: s.kind,
          params: s.params,
          workflow: s.workflow,
          workflowHash: contentHash(s.workflow),
          priority: 0,
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
        const res = await c.queue(s.workflow, {
          promptId,
          ...(s.clientId !== undefined ? { clientId: s.clientId } : {}),
        });
        return { prompt_id: res.prompt_id, client_id: res.client_id };
      } catch (err) {
        await deps.ledger.remove(promptId);
        throw err;
      }
    } finally {
      reserved--;
    }
  };
}

export type JobAcceptor = ReturnType<typeof createJobAcceptor>;
