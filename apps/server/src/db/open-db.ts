import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.ts';
import type { Migration } from './migrations.ts';

export type Db = Database.Database;

/** The database file inside ROOT_DIR. */
export const DB_FILE_NAME = 'comfy-gateway.db';

/**
 * Opens (creating if needed) `rootDir/comfy-gateway.db` with WAL and foreign keys, and applies
 * pending migrations in one transaction each.
 */
export function openDb(rootDir: string): Db {
  mkdirSync(rootDir, { recursive: true });
  const db = new Database(path.join(rootDir, DB_FILE_NAME));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // Concurrent writers (a second process, a backup) wait instead of failing at once.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Applies every migration not yet recorded, in version order; returns how many ran. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  // A set, not MAX(version): a database that got version 4 before versions 2 and 3 existed still gets them.
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  let applied = 0;
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    })();
    applied++;
  }
  return applied;
}

/** True when the database answers a trivial query (readiness). */
export function pingDb(db: Db): boolean {
  try {
    return db.prepare('SELECT 1 AS ok').get() !== undefined;
  } catch {
    return false;
  }
}
