import type { User, Role } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';

export interface UserRow {
  id: number;
  email: string;
  password_hash: string;
  role: Role;
  active: number;
  created_at: number;
  max_active_jobs: number | null;
}

/** Milliseconds since the epoch; injected so tests can move time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The public shape of a user row (never the hash). */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    active: row.active === 1,
    created_at: row.created_at,
    max_active_jobs: row.max_active_jobs,
  };
}

/** Reads one user row by id. */
export function findUserRow(db: Db, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}
