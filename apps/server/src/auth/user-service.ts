import type { ChangePasswordInput, CreateUserInput, PatchUserInput, User } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { GatewayError, fieldError } from '../errors.ts';
import type { HashGate } from './hash-gate.ts';
import type { OpenConnections } from './open-connections.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { assertPasswordPolicy } from './password-policy.ts';
import { findUserRow, toUser } from './user-rows.ts';
import type { Clock, UserRow } from './user-rows.ts';

export interface UserServiceDeps {
  revokeSessions(userId: number, keep?: string): void;
  revokeAllTokens(userId: number, reason?: string): number;
  connections: OpenConnections;
  hashGate: HashGate;
}

/** User management and password changes; a dead credential's streams end with it. */
export function createUserService(db: Db, clock: Clock, deps: UserServiceDeps) {
  const insert = db.prepare(
    'INSERT INTO users (email, password_hash, role, active, created_at) VALUES (?, ?, ?, 1, ?)',
  );

  function requireRow(id: number): UserRow {
    const row = findUserRow(db, id);
    if (!row) throw new GatewayError('NOT_FOUND', `user ${id} not found`);
    return row;
  }

  /** Every session but `keep` and every API token of the user stop working, and their streams end. */
  function revokeCredentials(id: number, reason: string, keep?: string): void {
    deps.revokeSessions(id, keep);
    deps.revokeAllTokens(id, reason);
    deps.connections.closeUser(id, reason, keep);
  }

  const service = {
    /** Creates a user; a weak password is 400, a taken email 409 CONFLICT. */
    async createUser(input: CreateUserInput): Promise<User> {
      assertPasswordPolicy(input.password);
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

    /** Activates or deactivates a user; deactivation revokes their sessions and tokens. */
    setActive(id: number, active: boolean, actorId?: number): Promise<User> {
      return service.updateUser(id, { active }, actorId);
    },

    /**
     * Applies a patch. An admin cannot deactivate or demote themself (409 CONFLICT), so the last
     * admin never locks everyone out by accident. Deactivation and a new password revoke every
     * session and API token of the user (reactivation revives none); `keep` spares the actor's own
     * session when they set their own password.
     */
    async updateUser(id: number, patch: PatchUserInput, actorId?: number, keep?: string): Promise<User> {
      const row = requireRow(id);
      if (actorId === id && (patch.active === false || patch.role === 'user')) {
        throw new GatewayError('CONFLICT', 'an admin cannot deactivate or demote themself');
      }
      if (patch.password !== undefined) assertPasswordPolicy(patch.password);
      const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      const deactivated = patch.active === false && row.active === 1;
      db.transaction(() => {
        if (patch.active !== undefined)
          db.prepare('UPDATE users SET active = ? WHERE id = ?').run(patch.active ? 1 : 0, id);
        if (patch.role !== undefined)
          db.prepare('UPDATE users SET role = ? WHERE id = ?').run(patch.role, id);
        if (patch.max_active_jobs !== undefined)
          db.prepare('UPDATE users SET max_active_jobs = ? WHERE id = ?').run(patch.max_active_jobs, id);
        if (hash !== undefined) db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id);
        if (deactivated || hash !== undefined)
          revokeCredentials(
            id,
            deactivated ? 'account deactivated' : 'password changed',
            actorId === id ? keep : undefined,
          );
      })();
      return toUser(requireRow(id));
    },

    /**
     * The user changes their own password: the current one must match (400 naming
     * `current_password`), the new one must pass the policy. Every other session and every API
     * token of the user is revoked; `keepSession` (the session making the change) stays.
     */
    async changePassword(userId: number, input: ChangePasswordInput, keepSession?: string): Promise<void> {
      const row = requireRow(userId);
      assertPasswordPolicy(input.new_password, 'new_password');
      const ok = await deps.hashGate.run(() => verifyPassword(input.current_password, row.password_hash));
      if (!ok) throw fieldError('current_password', 'does not match the current password');
      if (input.new_password === input.current_password)
        throw fieldError('new_password', 'must differ from the current password');
      const hash = await hashPassword(input.new_password);
      db.transaction(() => {
        db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, userId);
        revokeCredentials(userId, 'password changed', keepSession);
      })();
    },

    /** Every user, oldest first. */
    listUsers(): User[] {
      return (db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map(toUser);
    },

    /** 404 NOT_FOUND unless the user exists. */
    requireUserExists(id: number): void {
      requireRow(id);
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
