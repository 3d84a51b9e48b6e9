/* eslint-disable @typescript-eslint/require-await -- async JobLedger contract over synchronous SQLite: `async` turns a throw into a rejection */
import type { ImageRef, JobStatus } from '@comfy-gateway/schema';
import { FINAL_JOB_STATUSES } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { decodeJobCursor, encodeJobCursor } from './job-cursor.ts';
import type { JobLedger, LedgerJob } from './job-ledger.ts';

interface JobRow {
  prompt_id: string;
  owner_id: number | null;
  kind: LedgerJob['kind'];
  params_json: string | null;
  workflow_json: string | null;
  workflow_hash: string | null;
  status: JobStatus;
  error_json: string | null;
  images_json: string;
  priority: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  idempotency_key: string | null;
  backend: string | null;
  event_id_floor: number;
  own_socket: number;
}

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

function fromRow(r: JobRow): LedgerJob {
  return {
    promptId: r.prompt_id,
    ownerId: r.owner_id,
    kind: r.kind,
    params: parse(r.params_json),
    workflow: parse(r.workflow_json),
    workflowHash: r.workflow_hash,
    status: r.status,
    error: parse(r.error_json),
    images: parse<ImageRef[]>(r.images_json) ?? [],
    priority: r.priority,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    idempotencyKey: r.idempotency_key,
    backend: r.backend,
    eventIdFloor: r.event_id_floor,
    ownSocket: r.own_socket === 1,
  };
}

const FINAL_SQL = FINAL_JOB_STATUSES.map((s) => `'${s}'`).join(', ');
const UNFINISHED = `status NOT IN (${FINAL_SQL})`;

/** The ledger over SQLite (better-sqlite3 is synchronous; the interface is not, for other dialects). */
export function createSqliteJobLedger(db: Db, now: () => number = Date.now): JobLedger {
  const countActive = db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE owner_id = ? AND ${UNFINISHED}`);
  const insert = db.prepare(`INSERT INTO jobs (prompt_id, owner_id, kind, params_json, workflow_json,
      workflow_hash, status, priority, created_at, idempotency_key, own_socket)
    VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`);
  const selectOne = db.prepare('SELECT * FROM jobs WHERE prompt_id = ?');
  const upsertState = db.prepare(`INSERT INTO jobs (prompt_id, kind, status, error_json, images_json,
      started_at, finished_at, event_id_floor, created_at, own_socket)
    VALUES (@promptId, 'workflow', @status, @error, @images, @startedAt, @finishedAt, @floor, @now, 0)
    ON CONFLICT (prompt_id) DO UPDATE SET status = excluded.status, error_json = excluded.error_json,
      images_json = excluded.images_json, started_at = excluded.started_at,
      finished_at = excluded.finished_at,
      event_id_floor = MAX(jobs.event_id_floor, excluded.event_id_floor)`);
  const selectOwners = db.prepare(
    'SELECT prompt_id, owner_id FROM jobs WHERE prompt_id IN (SELECT value FROM json_each(?))',
  );
  const clearImages = db.prepare('DELETE FROM job_images WHERE prompt_id = ?');
  const addImage = db.prepare(
    'INSERT OR IGNORE INTO job_images (prompt_id, type, subfolder, filename) VALUES (?, ?, ?, ?)',
  );
  // With several servers a file name recurs: the job must have run on the server the ref names.
  const ownsImage = db.prepare(`SELECT 1 FROM job_images i JOIN jobs j ON j.prompt_id = i.prompt_id
    WHERE i.filename = ? AND i.subfolder = ? AND i.type = ? AND j.owner_id = ?
      AND (@backend IS NULL OR j.backend = @backend) LIMIT 1`);

  const accept = db.transaction((job: Parameters<JobLedger['accept']>[0], maxActive: number) => {
    const { n } = countActive.get(job.ownerId) as { n: number };
    if (n >= maxActive) return false;
    insert.run(
      job.promptId,
      job.ownerId,
      job.kind,
      job.params === null ? null : JSON.stringify(job.params),
      job.workflow === null ? null : JSON.stringify(job.workflow),
      job.workflowHash,
      job.priority,
      job.createdAt,
      job.idempotencyKey,
      job.ownSocket ? 1 : 0,
    );
    return true;
  });

  const saveState = db.transaction((s: Parameters<JobLedger['repository']['saveState']>[0]) => {
    upsertState.run({
      promptId: s.promptId,
      status: s.status,
      error: s.error === null ? null : JSON.stringify(s.error),
      images: JSON.stringify(s.images),
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      floor: s.eventIdFloor,
      now: now(),
    });
    clearImages.run(s.promptId);
    for (const i of s.images) addImage.run(s.promptId, i.type, i.subfolder, i.filename);
  });

  const byId = (id: string) => {
    const row = selectOne.get(id) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  };

  const toStored = (j: LedgerJob) => ({
    promptId: j.promptId,
    status: j.status,
    images: j.images,
    error: j.error,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    eventIdFloor: j.eventIdFloor,
    prompt: j.workflow,
    ownSocket: j.ownSocket,
    createdAt: j.createdAt,
  });

  return {
    async accept(job, limits) {
      return accept(job, limits.maxActive);
    },
    async remove(promptId) {
      db.prepare('DELETE FROM jobs WHERE prompt_id = ?').run(promptId);
    },
    byId: async (id) => byId(id),
    async list(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.owner !== 'all') {
        where.push('owner_id = ?');
        args.push(q.owner);
      }
      if (q.status) {
        where.push('status = ?');
        args.push(q.status);
      }
      if (q.kind) {
        where.push('kind = ?');
        args.push(q.kind);
      }
      if (q.cursor) {
        const c = decodeJobCursor(q.cursor);
        where.push('(created_at < ? OR (created_at = ? AND prompt_id < ?))');
        args.push(c.createdAt, c.createdAt, c.promptId);
      }
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, prompt_id DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...args, q.limit + 1) as JobRow[];
      const items = rows.slice(0, q.limit).map(fromRow);
      const last = items.at(-1);
      const nextCursor =
        rows.length > q.limit && last
          ? encodeJobCursor({ createdAt: last.createdAt, promptId: last.promptId })
          : null;
      return { items, nextCursor };
    },
    async ownersOf(ids) {
      // One query for the whole queue, however long it is.
      const rows = selectOwners.all(JSON.stringify(ids)) as { prompt_id: string; owner_id: number | null }[];
      return new Map(rows.map((r) => [r.prompt_id, r.owner_id]));
    },
    async imageBackends(ownerId, ref) {
      const rows = db
        .prepare(
          `SELECT DISTINCT j.backend FROM job_images i JOIN jobs j ON j.prompt_id = i.prompt_id
          WHERE i.filename = ? AND i.subfolder = ? AND i.type = ? AND j.backend IS NOT NULL
            AND (@owner IS NULL OR j.owner_id = @owner)`,
        )
        .all(ref.filename, ref.subfolder, ref.type, { owner: ownerId }) as Array<{ backend: string }>;
      return rows.map((r) => r.backend);
    },
    async ownsImage(ownerId, ref) {
      return (
        ownsImage.get(ref.filename, ref.subfolder, ref.type, ownerId, { backend: ref.backend ?? null }) !==
        undefined
      );
    },
    async capOf(userId) {
      const row = db.prepare('SELECT max_active_jobs FROM users WHERE id = ?').get(userId) as
        { max_active_jobs: number | null } | undefined;
      return row?.max_active_jobs ?? null;
    },
    repository: {
      async assign(promptId, backend) {
        db.prepare('UPDATE jobs SET backend = ? WHERE prompt_id = ?').run(backend, promptId);
      },
      async setPriority(promptId, priority) {
        db.prepare('UPDATE jobs SET priority = ? WHERE prompt_id = ?').run(priority, promptId);
      },
      async listPending() {
        const rows = db
          .prepare(`SELECT * FROM jobs WHERE ${UNFINISHED} ORDER BY created_at, rowid`)
          .all() as JobRow[];
        return rows.map((r) => {
          const j = fromRow(r);
          return {
            stored: toStored(j),
            owner: String(j.ownerId ?? ''),
            priority: j.priority,
            backend: j.backend,
          };
        });
      },
      async saveState(state) {
        saveState(state);
      },
      async load(promptId) {
        const j = byId(promptId);
        return j ? toStored(j) : undefined;
      },
      async listUnfinished() {
        const rows = db
          .prepare(`SELECT * FROM jobs WHERE ${UNFINISHED} ORDER BY created_at`)
          .all() as JobRow[];
        return rows.map((r) => toStored(fromRow(r)));
      },
    },
  };
}
