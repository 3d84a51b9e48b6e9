import { FINAL_JOB_STATUSES } from '@comfy-gateway/schema';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DbDialect } from './dialect.ts';
import type { Migration } from './migrate.ts';

/**
 * Column types where the dialects differ; everything else is SQL both accept. An integer primary
 * key is SQLite's rowid alias and PostgreSQL's SERIAL; times are BIGINT (epoch ms).
 */
const ID: Record<DbDialect, string> = { sqlite: 'INTEGER PRIMARY KEY', postgres: 'SERIAL PRIMARY KEY' };

async function run<DB>(db: Kysely<DB>, statements: string[]): Promise<void> {
  // One statement per call: better-sqlite3 prepares exactly one.
  for (const s of statements) await sql.raw(s).execute(db);
}

const FINAL_SQL = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Ordered schema changes; a migration never changes once released, new ones are appended.
 * Versions may have gaps (branches number theirs in parallel); each runs once, by version.
 * Versions 1-4 were SQLite-only SQL before PostgreSQL came; databases that ran them keep their
 * schema. The portable form below differs in how email is case-insensitive (an index on
 * lower(email), was COLLATE NOCASE) and in declared types (BIGINT times: the same INTEGER
 * affinity in SQLite).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    up: (db, d) =>
      run(db, [
        `CREATE TABLE users (
          id ${ID[d]},
          email TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
          active INTEGER NOT NULL DEFAULT 1,
          created_at BIGINT NOT NULL
        )`,
        // Case-insensitive uniqueness both dialects enforce (was COLLATE NOCASE in SQLite).
        'CREATE UNIQUE INDEX users_email_lower ON users (lower(email))',
        `CREATE TABLE sessions (
          id ${ID[d]},
          user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          token_hash TEXT NOT NULL UNIQUE,
          created_at BIGINT NOT NULL,
          expires_at BIGINT NOT NULL,
          last_seen_at BIGINT NOT NULL,
          revoked_at BIGINT
        )`,
        'CREATE INDEX sessions_user ON sessions(user_id)',
        `CREATE TABLE api_tokens (
          id ${ID[d]},
          user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          prefix TEXT NOT NULL,
          token_hash TEXT NOT NULL UNIQUE,
          created_at BIGINT NOT NULL,
          last_used_at BIGINT,
          expires_at BIGINT,
          revoked_at BIGINT
        )`,
        'CREATE INDEX api_tokens_user ON api_tokens(user_id)',
        `CREATE TABLE gallery (
          id TEXT PRIMARY KEY,
          hash TEXT NOT NULL UNIQUE,
          prompt_id TEXT,
          path TEXT NOT NULL,
          sidecar_path TEXT NOT NULL,
          mime TEXT NOT NULL,
          size BIGINT NOT NULL,
          width INTEGER,
          height INTEGER,
          caption TEXT,
          created_at TEXT NOT NULL,
          created_by INTEGER
        )`,
        'CREATE INDEX gallery_created ON gallery(created_at DESC, id DESC)',
        `CREATE TABLE idempotency (
          key TEXT NOT NULL,
          user_id INTEGER NOT NULL,
          route TEXT NOT NULL,
          body_hash TEXT NOT NULL,
          response_json TEXT NOT NULL,
          status INTEGER NOT NULL,
          created_at BIGINT NOT NULL,
          PRIMARY KEY (key, user_id, route)
        )`,
      ]),
  },
  {
    version: 4,
    name: 'token-scopes',
    // Tokens made before scopes keep what they could do: admins' tokens keep the admin scope.
    up: (db) =>
      run(db, [
        `ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,generate'`,
        `UPDATE api_tokens SET scopes = 'read,generate,admin'
          WHERE user_id IN (SELECT id FROM users WHERE role = 'admin')`,
      ]),
  },
  {
    version: 2,
    name: 'jobs',
    up: (db) =>
      run(db, [
        `CREATE TABLE jobs (
          prompt_id TEXT PRIMARY KEY,
          owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
          kind TEXT NOT NULL CHECK (kind IN ('workflow', 'text2img')),
          params_json TEXT,
          workflow_json TEXT,
          workflow_hash TEXT,
          status TEXT NOT NULL,
          error_json TEXT,
          images_json TEXT NOT NULL DEFAULT '[]',
          priority INTEGER NOT NULL DEFAULT 0,
          created_at BIGINT NOT NULL,
          started_at BIGINT,
          finished_at BIGINT,
          idempotency_key TEXT,
          backend TEXT,
          event_id_floor BIGINT NOT NULL DEFAULT 0,
          own_socket INTEGER NOT NULL DEFAULT 1
        )`,
        'CREATE INDEX jobs_owner_created ON jobs(owner_id, created_at DESC, prompt_id DESC)',
        'CREATE INDEX jobs_created ON jobs(created_at DESC, prompt_id DESC)',
        `CREATE INDEX jobs_unfinished ON jobs(owner_id) WHERE status NOT IN (${FINAL_SQL})`,
        `CREATE TABLE job_images (
          prompt_id TEXT NOT NULL REFERENCES jobs(prompt_id) ON DELETE CASCADE,
          type TEXT NOT NULL,
          subfolder TEXT NOT NULL,
          filename TEXT NOT NULL,
          PRIMARY KEY (prompt_id, type, subfolder, filename)
        )`,
        'CREATE INDEX job_images_file ON job_images(filename, subfolder, type)',
        'ALTER TABLE users ADD COLUMN max_active_jobs INTEGER',
      ]),
  },
  {
    version: 3,
    name: 'gallery-owners',
    // Dedup becomes per owner: UNIQUE(hash) -> UNIQUE(created_by, hash); rows keep their recorded owner.
    up: (db) =>
      run(db, [
        `CREATE TABLE gallery_v3 (
          id TEXT PRIMARY KEY,
          hash TEXT NOT NULL,
          prompt_id TEXT,
          path TEXT NOT NULL,
          sidecar_path TEXT NOT NULL,
          mime TEXT NOT NULL,
          size BIGINT NOT NULL,
          width INTEGER,
          height INTEGER,
          caption TEXT,
          created_at TEXT NOT NULL,
          created_by INTEGER,
          UNIQUE (created_by, hash)
        )`,
        `INSERT INTO gallery_v3 (id, hash, prompt_id, path, sidecar_path, mime, size, width, height, caption, created_at, created_by)
          SELECT id, hash, prompt_id, path, sidecar_path, mime, size, width, height, caption, created_at, created_by FROM gallery`,
        'DROP TABLE gallery',
        'ALTER TABLE gallery_v3 RENAME TO gallery',
        'CREATE INDEX gallery_created ON gallery(created_at DESC, id DESC)',
        'CREATE INDEX gallery_owner_created ON gallery(created_by, created_at DESC, id DESC)',
        'CREATE INDEX gallery_hash ON gallery(hash)',
        'CREATE INDEX gallery_path ON gallery(path)',
      ]),
  },
  {
    version: 5,
    name: 'job-acceptance-order',
    // Pending jobs reload in acceptance order: SQLite has it as rowid, PostgreSQL gets a sequence.
    up: (db, d) => run(db, d === 'postgres' ? ['ALTER TABLE jobs ADD COLUMN seq BIGSERIAL'] : []),
  },
];
