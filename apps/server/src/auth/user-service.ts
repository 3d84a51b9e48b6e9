import type { ChangePasswordInput, CreateUserInput, PatchUserInput, User } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { GatewayError, fieldError } from '../errors.ts';
import type { HashGate } from './hash-gate.ts';
import type { OpenConnections } from './open-connections.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { assertPasswordPolicy } from './password-policy.ts';
import { findUserRow, toUser } from './user-rows.ts';
import type { Clock, UserRow } from './user-rows.ts';

export interface UserServiceDeps {
  revokeSessions(userId: number, keep: string | undefined, trx: Db): Promise<void>;
  revokeAllTokens(userId: number, reason: string, trx: Db): Promise<number>;
  connections: OpenConnections;
  hashGate: HashGate;
}

/** User management and password changes; a dead credential's streams end with it. */
export function createUserService(db: Db, clock: Clock, deps: UserServiceDeps) {
  async function requireRow(id: number): Promise<UserRow> {
    const row = await findUserRow(db, id);
    if (!row) throw new GatewayError('NOT_FOUND', `user ${id} not found`);
    return row;
  }

  /** Every session but `keep` and every API token of the user stop working, and their streams end. */
  async function revokeCredentials(trx: Db, id: number, reason: string, keep?: string): Promise<void> {
    await deps.revokeSessions(id, keep, trx);
    await deps.revokeAllTokens(id, reason, trx);
    deps.connections.closeUser(id, reason, keep);
  }

  const service = {
    /** Creates a user; a weak password is 400, a taken email 409 CONFLICT. */
    async createUser(input: CreateUserInput): Promise<User> {
      assertPasswordPolicy(input.password);
      const hash = await hashPassword(input.password);
      try {
        const { id } = await db
          .insertInto('users')
          .values({
            email: input.email,
            password_hash: hash,
            role: input.role,
            active: 1,
            created_at: clock.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return toUser(await requireRow(id));
      } catch (err) {
        if (isUniqueViolation(err)) {
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
      const row = await requireRow(id);
      if (actorId === id && (patch.active === false || patch.role === 'user')) {
        throw new GatewayError('CONFLICT', 'an admin cannot deactivate or demote themself');
      }
      if (patch.password !== undefined) assertPasswordPolicy(patch.password);
      const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      const deactivated = patch.active === false && row.active === 1;
      const set = {
        ...(patch.active !== undefined ? { active: patch.active ? 1 : 0 } : {}),
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.max_active_jobs !== undefined ? { max_active_jobs: patch.max_active_jobs } : {}),
        ...(hash !== undefined ? { password_hash: hash } : {}),
      };
      await db.transaction().execute(async (trx) => {
        if (Object.keys(set).length > 0)
          await trx.updateTable('users').set(set).where('id', '=', id).execute();
        if (deactivated || hash !== undefined)
          await revokeCredentials(
            trx,
            id,
            deactivated ? 'account deactivated' : 'password changed',
            actorId === id ? keep : undefined,
          );
      });
      // A new role or job limit must apply to the very next request, here and on other instances.
      if (patch.role !== undefined || patch.max_active_jobs !== undefined) deps.connections.userChanged(id);
      return toUser(await requireRow(id));
    },

    /**
     * The user changes their own password: the current one must match (400 naming
     * `current_password`), the new one must pass the policy. Every other session and every API
     * token of the user is revoked; `keepSession` (the session making the change) stays.
     */
    async changePassword(userId: number, input: ChangePasswordInput, keepSession?: string): Promise<void> {
      const row = await requireRow(userId);
      assertPasswordPolicy(input.new_password, 'new_password');
      const ok = await deps.hashGate.run(() => verifyPassword(input.current_password, row.password_hash));
      if (!ok) throw fieldError('current_password', 'does not match the current password');
      if (input.new_password === input.current_password)
        throw fieldError('new_password', 'must differ from the current password');
      const hash = await hashPassword(input.new_password);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
        await revokeCredentials(trx, userId, 'password changed', keepSession);
      });
    },

    /** Every user, oldest first. */
    async listUsers(): Promise<User[]> {
      return (await db.selectFrom('users').selectAll().orderBy('id').execute()).map(toUser);
    },

    /** 404 NOT_FOUND unless the user exists. */
    async requireUserExists(id: number): Promise<void> {
      await requireRow(id);
    },

    /** One user or null. */
    async getUser(id: number): Promise<User | null> {
      const row = await findUserRow(db, id);
      return row ? toUser(row) : null;
    },

    /** Creates the first admin when the users table is empty; returns it, or null if users exist. */
    async bootstrapAdmin(admin: { email: string; password: string } | null): Promise<User | null> {
      if (!admin) return null;
      const { n } = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(n) > 0) return null;
      return service.createUser({ email: admin.email, password: admin.password, role: 'admin' });
    },
  };
  return service;
}
