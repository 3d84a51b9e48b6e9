import type { CreateUserInput, PatchUserInput, User } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { GatewayError } from '../errors.ts';
import { hashPassword } from './password.ts';
import { findUserRow, toUser } from './user-rows.ts';
import type { Clock, UserRow } from './user-rows.ts';

/** User management; `revokeSessions` comes from the session service. */
export function createUserService(db: Db, clock: Clock, revokeSessions: (userId: number) => void) {
  const insert = db.prepare(
    'INSERT INTO users (email, password_hash, role, active, created_at) VALUES (?, ?, ?, 1, ?)',
  );

  function requireRow(id: number): UserRow {
    const row = findUserRow(db, id);
    if (!row) throw new GatewayError('NOT_FOUND', `user ${id} not found`);
    return row;
  }

  const service = {
    /** Creates a user; a taken email is 409 CONFLICT. */
    async createUser(input: CreateUserInput): Promise<User> {
      const hash = await hashPassword(input.password);
      try {
        const id = Number(insert.run(input.email, hash, input.role, clock.now()).lastInsertRowid);
        return toUser(requireRow(id));
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new GatewayError('CONFLICT', `email: ${input.email} is already registered`, {
            fields: { email: ['already registered'] },
          });
        }
        throw err;
      }
    },

    /** Activates or deactivates a user; deactivation revokes their sessions. */
    setActive(id: number, active: boolean, actorId?: number): Promise<User> {
      return service.updateUser(id, { active }, actorId);
    },

    /**
     * Applies a patch. An admin cannot deactivate or demote themself (409 CONFLICT), so the last
     * admin never locks everyone out by accident. Deactivation and a new password revoke sessions.
     */
    async updateUser(id: number, patch: PatchUserInput, actorId?: number): Promise<User> {
      const row = requireRow(id);
      if (actorId === id && (patch.active === false || patch.role === 'user')) {
        throw new GatewayError('CONFLICT', 'an admin cannot deactivate or demote themself');
      }
      const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      db.transaction(() => {
        if (patch.active !== undefined)
          db.prepare('UPDATE users SET active = ? WHERE id = ?').run(patch.active ? 1 : 0, id);
        if (patch.role !== undefined)
          db.prepare('UPDATE users SET role = ? WHERE id = ?').run(patch.role, id);
        if (patch.max_active_jobs !== undefined)
          db.prepare('UPDATE users SET max_active_jobs = ? WHERE id = ?').run(patch.max_active_jobs, id);
        if (hash !== undefined) db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id);
        if ((patch.active === false && row.active === 1) || hash !== undefined) revokeSessions(id);
      })();
      return toUser(requireRow(id));
    },

    /** Every user, oldest first. */
    listUsers(): User[] {
      return (db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map(toUser);
    },

    /** One user or null. */
    getUser(id: number): User | null {
      const row = findUserRow(db, id);
      return row ? toUser(row) : null;
    },

    /** Creates the first admin when the users table is empty; returns it, or null if users exist. */
    async bootstrapAdmin(admin: { email: string; password: string } | null): Promise<User | null> {
      if (!admin) return null;
      const { n } = db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number };
      if (n > 0) return null;
      return service.createUser({ email: admin.email, password: admin.password, role: 'admin' });
    },
  };
  return service;
}
