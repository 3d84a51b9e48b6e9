import type { User } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { JobLedger, LedgerJob } from './job-ledger.ts';

export type Caller = Pick<User, 'id' | 'role'>;

/** The one answer for "not yours" and "never existed", so an id's existence is never confirmed. */
export const unknownPrompt = (promptId: string) =>
  new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);

export const isAdmin = (caller: Caller): boolean => caller.role === 'admin';

/**
 * The caller's job (or any job for an admin). Returns the ledger row, or null for an admin asking
 * about a prompt the gateway has no row for (queued on ComfyUI by another program).
 */
export async function requireJob(
  ledger: JobLedger,
  promptId: string,
  caller: Caller,
): Promise<LedgerJob | null> {
  const row = await ledger.byId(promptId);
  if (row) {
    if (row.ownerId === caller.id || isAdmin(caller)) return row;
    throw unknownPrompt(promptId);
  }
  if (isAdmin(caller)) return null;
  throw unknownPrompt(promptId);
}
