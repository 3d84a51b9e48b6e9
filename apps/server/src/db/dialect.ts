import { PostgresAdapter } from 'kysely';
import type { Kysely } from 'kysely';

export type DbDialect = 'sqlite' | 'postgres';

/** Which database a handle (or a transaction of it) talks to; for the few statements that differ. */
export function dialectOf<DB>(db: Kysely<DB>): DbDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
