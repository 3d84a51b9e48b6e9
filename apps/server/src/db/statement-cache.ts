import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; queries with a variable number of parameters make new ones. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * A SQLite handle for Kysely that prepares each SQL text once. Kysely's driver calls `prepare` on
 * every query, and compiling the statement was the largest single cost of a `status` request.
 * Safe because better-sqlite3 runs a statement to completion synchronously (`all`/`run`); the
 * gateway never streams a query (`iterate`), which would keep a statement busy.
 */
export function withStatementCache(
  db: { prepare(sql: string): SqliteStatement; close(): unknown },
  size = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      let stmt = statements.get(sql);
      if (stmt) {
        // Most recently used last, so the first key is the one to evict.
        statements.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (statements.size >= size) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
      }
      statements.set(sql, stmt);
      return stmt;
    },
    close() {
      statements.clear();
      db.close();
    },
  };
}
