import type { ImageRef } from '@comfy-gateway/schema';
import { FINAL_JOB_STATUSES } from '@comfy-gateway/schema';
import { createQueryId, sql } from 'kysely';
import type { Selectable } from 'kysely';
import { dialectOf } from '../db/dialect.ts';
import type { Db } from '../db/open-db.ts';
import { retryWhileUnavailable } from '../db/retry-while-unavailable.ts';
import type { JobsTable } from '../db/schema.ts';
import { decodeJobCursor, encodeJobCursor } from './job-cursor.ts';
import type { PendingJob } from '@comfy-gateway/comfy-core';
import type { JobLedger, LedgerJob } from './job-ledger.ts';

type JobRow = Selectable<JobsTable>;

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

const FINAL = [...FINAL_JOB_STATUSES];
// Ids can be a whole queue long: chunks keep each IN list under SQLite's bound-parameter limit.
const CHUNK = 500;

/**
 * The ledger over the database (SQLite or PostgreSQL; the file name predates PostgreSQL).
 * Per-user caps hold across instances: `accept` locks the owner's row (PostgreSQL `FOR UPDATE`;
 * SQLite takes its single write lock) before counting and inserting.
 */
export function createSqliteJobLedger(db: Db, now: () => number = Date.now): JobLedger {
  const postgres = dialectOf(db) === 'postgres';
  // Acceptance order: SQLite's rowid, PostgreSQL's `seq` (migration 5).
  const acceptanceOrder = sql.ref(postgres ? 'seq' : 'rowid');
  const unfinished = () => db.selectFrom('jobs').selectAll().where('status', 'not in', FINAL);

  // Built and compiled once: every status request reads its job by id (ownership).
  const byIdQuery = db.selectFrom('jobs').selectAll().where('prompt_id', '=', '').compile();
  const byId = async (id: string) => {
    // A query id per run, as Kysely gives every query it builds (plugins key their state on it).
    const { rows } = await db.executeQuery<JobRow>({
      ...byIdQuery,
      parameters: [id],
      queryId: createQueryId(),
    });
    const row = rows[0];
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
  const pendingOf = (j: LedgerJob): PendingJob => ({
    stored: toStored(j),
    owner: String(j.ownerId ?? ''),
    priority: j.priority,
    backend: j.backend,
  });

  return {
    async pending(promptId) {
      const j = await byId(promptId);
      return j && !FINAL.includes(j.status) ? pendingOf(j) : undefined;
    },
    async activeCount() {
      const row = await unfinished()
        .clearSelect()
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    accept(job, limits) {
      return db.transaction().execute(async (trx) => {
        // Serialises this owner's accepts across instances (PostgreSQL: a row lock). SQLite: a
        // write first takes the database's write lock, so another process waits instead of
        // failing to upgrade its read later.
        if (postgres)
          await trx.selectFrom('users').select('id').where('id', '=', job.ownerId).forUpdate().execute();
        else
          await trx
            .updateTable('users')
            .set((eb) => ({ max_active_jobs: eb.ref('max_active_jobs') }))
            .where('id', '=', job.ownerId)
            .execute();
        const { n } = await trx
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('owner_id', '=', job.ownerId)
          .where('status', 'not in', FINAL)
          .executeTakeFirstOrThrow();
        if (Number(n) >= limits.maxActive) return false;
        await trx
          .insertInto('jobs')
          .values({
            prompt_id: job.promptId,
            owner_id: job.ownerId,
            kind: job.kind,
            params_json: job.params === null ? null : JSON.stringify(job.params),
            workflow_json: job.workflow === null ? null : JSON.stringify(job.workflow),
            workflow_hash: job.workflowHash,
            status: 'queued',
            priority: job.priority,
            created_at: job.createdAt,
            idempotency_key: job.idempotencyKey,
            own_socket: job.ownSocket ? 1 : 0,
          })
          .execute();
        return true;
      });
    },
    async remove(promptId) {
      await db.deleteFrom('jobs').where('prompt_id', '=', promptId).execute();
    },
    byId,
    async list(q) {
      let query = db.selectFrom('jobs').selectAll();
      if (q.owner !== 'all') query = query.where('owner_id', '=', q.owner);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.kind) query = query.where('kind', '=', q.kind);
      if (q.cursor) {
        const c = decodeJobCursor(q.cursor);
        query = query.where((eb) =>
          eb.or([
            eb('created_at', '<', c.createdAt),
            eb.and([eb('created_at', '=', c.createdAt), eb('prompt_id', '<', c.promptId)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('prompt_id', 'desc')
        .limit(q.limit + 1)
        .execute();
      const items = rows.slice(0, q.limit).map(fromRow);
      const last = items.at(-1);
      const nextCursor =
        rows.length > q.limit && last
          ? encodeJobCursor({ createdAt: last.createdAt, promptId: last.promptId })
          : null;
      return { items, nextCursor };
    },
    async ownersOf(ids) {
      const owners = new Map<string, number | null>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await db
          .selectFrom('jobs')
          .select(['prompt_id', 'owner_id'])
          .where('prompt_id', 'in', ids.slice(i, i + CHUNK))
          .orderBy('prompt_id')
          .execute();
        for (const r of rows) owners.set(r.prompt_id, r.owner_id);
      }
      return owners;
    },
    async imageBackends(ownerId, ref) {
      let q = db
        .selectFrom('job_images as i')
        .innerJoin('jobs as j', 'j.prompt_id', 'i.prompt_id')
        .select('j.backend')
        .distinct()
        .where('i.filename', '=', ref.filename)
        .where('i.subfolder', '=', ref.subfolder)
        .where('i.type', '=', ref.type)
        .where('j.backend', 'is not', null);
      if (ownerId !== null) q = q.where('j.owner_id', '=', ownerId);
      const rows = await q.execute();
      return rows.flatMap((r) => (r.backend === null ? [] : [r.backend]));
    },
    async ownsImage(ownerId, ref) {
      // With several servers a file name recurs: the job must have run on the server the ref names.
      let q = db
        .selectFrom('job_images as i')
        .innerJoin('jobs as j', 'j.prompt_id', 'i.prompt_id')
        .select(sql<number>`1`.as('one'))
        .where('i.filename', '=', ref.filename)
        .where('i.subfolder', '=', ref.subfolder)
        .where('i.type', '=', ref.type)
        .where('j.owner_id', '=', ownerId);
      if (ref.backend !== undefined && ref.backend !== null) q = q.where('j.backend', '=', ref.backend);
      return (await q.limit(1).executeTakeFirst()) !== undefined;
    },
    async capOf(userId) {
      const row = await db
        .selectFrom('users')
        .select('max_active_jobs')
        .where('id', '=', userId)
        .executeTakeFirst();
      return row?.max_active_jobs ?? null;
    },
    repository: {
      async assign(promptId, backend) {
        await db.updateTable('jobs').set({ backend }).where('prompt_id', '=', promptId).execute();
      },
      async setPriority(promptId, priority) {
        await db.updateTable('jobs').set({ priority }).where('prompt_id', '=', promptId).execute();
      },
      async listPending() {
        const rows = await unfinished().orderBy('created_at').orderBy(acceptanceOrder).execute();
        return rows.map((r) => pendingOf(fromRow(r)));
      },
      async saveState(s) {
        const images = JSON.stringify(s.images);
        const error = s.error === null ? null : JSON.stringify(s.error);
        // A job ending while the database is down still gets its final state once it is back.
        await retryWhileUnavailable(() =>
          db.transaction().execute(async (trx) => {
            // A row the gateway did not accept (found on ComfyUI) is created; the floor never goes back.
            await trx
              .insertInto('jobs')
              .values({
                prompt_id: s.promptId,
                kind: 'workflow',
                status: s.status,
                error_json: error,
                images_json: images,
                started_at: s.startedAt,
                finished_at: s.finishedAt,
                event_id_floor: s.eventIdFloor,
                created_at: now(),
                own_socket: 0,
              })
              .onConflict((oc) =>
                oc.column('prompt_id').doUpdateSet((eb) => ({
                  status: eb.ref('excluded.status'),
                  error_json: eb.ref('excluded.error_json'),
                  images_json: eb.ref('excluded.images_json'),
                  started_at: eb.ref('excluded.started_at'),
                  finished_at: eb.ref('excluded.finished_at'),
                  event_id_floor: sql<number>`CASE WHEN jobs.event_id_floor > excluded.event_id_floor
                  THEN jobs.event_id_floor ELSE excluded.event_id_floor END`,
                })),
              )
              .execute();
            await trx.deleteFrom('job_images').where('prompt_id', '=', s.promptId).execute();
            if (s.images.length > 0)
              await trx
                .insertInto('job_images')
                .values(
                  s.images.map((i) => ({
                    prompt_id: s.promptId,
                    type: i.type,
                    subfolder: i.subfolder,
                    filename: i.filename,
                  })),
                )
                .onConflict((oc) => oc.doNothing())
                .execute();
          }),
        );
      },
      async load(promptId) {
        const j = await byId(promptId);
        return j ? toStored(j) : undefined;
      },
      async listUnfinished() {
        const rows = await unfinished().orderBy('created_at').execute();
        return rows.map((r) => toStored(fromRow(r)));
      },
    },
  };
}
