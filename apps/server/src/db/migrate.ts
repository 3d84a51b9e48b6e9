import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { dialectOf } from './dialect.ts';
import type { DbDialect } from './dialect.ts';
import { MIGRATIONS } from './migrations.ts';

/** Migrations see the schema as it was at their version, not as `Database` says today. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type MigrationDb = Kysely<any>;

/** A schema change, written once for both dialects; released ones never change, new ones are appended. */
export interface Migration {
  version: number;
  name: string;
  /** Runs inside the migration's transaction; `dialect` only for the few types that differ. */
  up(db: MigrationDb, dialect: DbDialect): Promise<void>;
}

// Instances starting together on one PostgreSQL take turns: one migrates, the others then see it done.
const MIGRATION_LOCK = 0x636f6d66;

async function inLockedTransaction<T>(db: MigrationDb, fn: (trx: MigrationDb) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (dialectOf(trx) === 'postgres')
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    return fn(trx);
  });
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, in version order, one
 * transaction each; returns how many ran. A set, not MAX(version): a version numbered below an
 * applied one (a branch merged later) still runs.
 */
export async function migrate(
  db: MigrationDb,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  const dialect = dialectOf(db);
  await inLockedTransaction(db, (trx) =>
    sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`.execute(trx),
  );
  let applied = 0;
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    const ran = await inLockedTransaction(db, async (trx) => {
      const done = await trx
        .selectFrom('schema_migrations')
        .select('version')
        .where('version', '=', m.version)
        .executeTakeFirst();
      if (done) return false;
      await m.up(trx, dialect);
      await trx
        .insertInto('schema_migrations')
        .values({ version: m.version, name: m.name, applied_at: Date.now() })
        .execute();
      return true;
    });
    if (ran) applied++;
  }
  return applied;
}
