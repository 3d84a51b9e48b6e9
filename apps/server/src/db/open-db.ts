import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { isGatewayError } from '../errors.ts';
import { migrate } from './migrate.ts';
import type { Database as Tables } from './schema.ts';
import { withStatementCache } from './statement-cache.ts';
import { withUnavailableErrors } from './unavailable-dialect.ts';

/** The typed query builder over SQLite or PostgreSQL; transactions are `Db` too. */
export type Db = Kysely<Tables>;

/** The database file inside ROOT_DIR. */
export const DB_FILE_NAME = 'comfy-gateway.db';

export interface DatabaseConfig {
  rootDir: string;
  /** `DATABASE_URL`: PostgreSQL when set, else SQLite in `rootDir`. */
  databaseUrl?: string | null | undefined;
}

const INT8_OID = 20;

/** SQLite `rootDir/comfy-gateway.db` with WAL and foreign keys, like it has always been. */
function sqliteDialect(rootDir: string): SqliteDialect {
  mkdirSync(rootDir, { recursive: true });
  const file = new Database(path.join(rootDir, DB_FILE_NAME));
  file.pragma('journal_mode = WAL');
  file.pragma('foreign_keys = ON');
  // Concurrent writers (a second process, a backup) wait instead of failing at once.
  file.pragma('busy_timeout = 5000');
  return new SqliteDialect({ database: withStatementCache(file) });
}

function postgresDialect(url: string): PostgresDialect {
  // Times are epoch ms in BIGINT and COUNT(*) is BIGINT: both fit a JS number (per pool, not global).
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000, types });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool });
}

/** A handle on the database (PostgreSQL when `databaseUrl` is set, else SQLite in `rootDir`), unmigrated. */
export function connectDatabase(config: DatabaseConfig): Db {
  const dialect = config.databaseUrl ? postgresDialect(config.databaseUrl) : sqliteDialect(config.rootDir);
  return new Kysely<Tables>({ dialect: withUnavailableErrors(dialect) });
}

/** Opens the database and applies pending migrations, one transaction each. */
export async function openDatabase(config: DatabaseConfig): Promise<Db> {
  const db = connectDatabase(config);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    // At start the operator needs the real cause (host, port), not the users' 503.
    throw isGatewayError(err) && err.code === 'DATABASE_UNAVAILABLE' ? err.cause : err;
  }
  return db;
}

/** True when the database answers a trivial query within `timeoutMs` (readiness). */
export async function pingDb(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = sql<{ ok: number }>`SELECT 1 AS ok`.execute(db).then(
    (r) => r.rows.length === 1,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
