import { GatewayError } from '../errors.ts';
import { isAdmin } from '../jobs/job-access.ts';
import type { Caller } from '../jobs/job-access.ts';

/** Users submit at the normal priority (0); only admins may set another. */
export function checkPriority(priority: number | undefined, caller: Caller): void {
  if (priority === undefined || priority === 0 || isAdmin(caller)) return;
  throw new GatewayError('FORBIDDEN', 'priority: only admins may set a job’s priority', {
    fields: { priority: ['only admins may set a job’s priority'] },
  });
}
