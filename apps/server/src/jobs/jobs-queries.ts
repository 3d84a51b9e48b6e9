import type { JobList, JobListQuery, JobRecord } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import { isAdmin, requireJob, unknownPrompt } from './job-access.ts';
import type { Caller } from './job-access.ts';
import type { JobLedger } from './job-ledger.ts';
import { toJobRecord, toJobSummary } from './job-record.ts';

/** `jobs.list` / `jobs.byId`: the caller's own jobs from the ledger; admins may ask for anyone's. */
export function createJobsQueries(ledger: JobLedger, o: { nameBackends?: boolean } = {}) {
  // One server is not named (its default name is host:port, which users must not see).
  const shown = <T extends { backend: string | null }>(j: T): T =>
    o.nameBackends === false ? { ...j, backend: null } : j;
  return {
    async list(q: JobListQuery, caller: Caller): Promise<JobList> {
      if (q.user !== undefined && q.user !== caller.id && !isAdmin(caller))
        throw new GatewayError('FORBIDDEN', 'user: only admins may list other users\u2019 jobs');
      const owner = q.user ?? caller.id;
      const page = await ledger.list({
        owner,
        status: q.status,
        kind: q.kind,
        cursor: q.cursor,
        limit: q.limit,
      });
      return { items: page.items.map((j) => shown(toJobSummary(j))), next_cursor: page.nextCursor };
    },

    async byId(promptId: string, caller: Caller): Promise<JobRecord> {
      const row = await requireJob(ledger, promptId, caller);
      if (!row) throw unknownPrompt(promptId);
      return shown(toJobRecord(row));
    },
  };
}

export type JobsQueries = ReturnType<typeof createJobsQueries>;
