import type { GalleryItem, JobKind, JobStatus, Role } from '@comfy-gateway/schema';
import type { Generated } from 'kysely';

/**
 * The tables as both dialects hold them. Portable choices: ids are integers (SQLite rowid alias,
 * PostgreSQL serial), times are epoch milliseconds in BIGINT, booleans are INTEGER 0/1, JSON is TEXT.
 */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  gallery: GalleryTable;
  idempotency: IdempotencyTable;
  jobs: JobsTable;
  job_images: JobImagesTable;
  schema_migrations: SchemaMigrationsTable;
}

export interface UsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  role: Role;
  active: Generated<number>;
  created_at: number;
  max_active_jobs: number | null;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
  /** Comma-separated scopes. */
  scopes: Generated<string>;
}

export interface GalleryTable {
  id: string;
  hash: string;
  prompt_id: string | null;
  path: string;
  sidecar_path: string;
  mime: GalleryItem['mime'];
  size: number;
  width: number | null;
  height: number | null;
  caption: string | null;
  /** ISO time (the sidecar's `ingested_at`). */
  created_at: string;
  created_by: number | null;
}

export interface IdempotencyTable {
  key: string;
  user_id: number;
  route: string;
  body_hash: string;
  response_json: string;
  status: number;
  created_at: number;
}

export interface JobsTable {
  prompt_id: string;
  owner_id: number | null;
  kind: JobKind;
  params_json: string | null;
  workflow_json: string | null;
  workflow_hash: string | null;
  status: JobStatus;
  error_json: string | null;
  images_json: Generated<string>;
  priority: Generated<number>;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  idempotency_key: string | null;
  backend: string | null;
  event_id_floor: Generated<number>;
  own_socket: Generated<number>;
}

export interface JobImagesTable {
  prompt_id: string;
  type: string;
  subfolder: string;
  filename: string;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}
