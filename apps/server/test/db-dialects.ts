import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres } from '@comfy-gateway/test-infra';
import type { PostgresInstance } from '@comfy-gateway/test-infra';
import { afterAll } from 'vitest';
import { openDatabase } from '../src/db/open-db.ts';
import type { Db } from '../src/db/open-db.ts';
import type { DbDialect } from '../src/db/dialect.ts';

/** Every store test runs on both. */
export const DIALECTS: readonly DbDialect[] = ['sqlite', 'postgres'];

export interface TestDb extends AsyncDisposable {
  db: Db;
  /** SQLite's ROOT_DIR (also given to PostgreSQL runs, for what lives on disk). */
  rootDir: string;
  /** `DATABASE_URL` on PostgreSQL, null on SQLite. */
  databaseUrl: string | null;
}

/**
 * Fresh migrated databases for one test file: SQLite in a temp ROOT_DIR, or a new database on one
 * PostgreSQL server started for the file (on first use) and stopped after it.
 */
export function testDatabases() {
  let server: Promise<PostgresInstance> | undefined;
  afterAll(async () => {
    if (server) await (await server).stop();
  });
  return {
    /** The file's PostgreSQL server, started on first use. */
    postgres(): Promise<PostgresInstance> {
      return (server ??= startPostgres());
    },
    /** A new empty, migrated database of the dialect. */
    async open(dialect: DbDialect): Promise<TestDb> {
      const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-db-'));
      const databaseUrl = dialect === 'postgres' ? await (await this.postgres()).createDatabase() : null;
      const db = await openDatabase({ rootDir, databaseUrl });
      return {
        db,
        rootDir,
        databaseUrl,
        async [Symbol.asyncDispose]() {
          await db.destroy();
          await rm(rootDir, { recursive: true, force: true });
        },
      };
    },
  };
}
