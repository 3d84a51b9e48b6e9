import { describe, expect, it } from 'vitest';
import { DIALECTS, testDatabases } from '../../test/db-dialects.ts';
import type { TestDb } from '../../test/db-dialects.ts';
import type { DbDialect } from '../db/dialect.ts';
import { openDatabase } from '../db/open-db.ts';
import type { AcceptedJob } from './job-ledger.ts';
import { createSqliteJobLedger } from './sqlite-job-ledger.ts';

const dbs = testDatabases();

/** A fresh database with users 1 and 2. */
async function tempDb(dialect: DbDialect): Promise<TestDb> {
  const t = await dbs.open(dialect);
  for (const email of ['a@x.io', 'b@x.io'])
    await t.db
      .insertInto('users')
      .values({ email, password_hash: 'x', role: 'user', created_at: 0 })
      .execute();
  return t;
}

const job = (promptId: string, o: Partial<AcceptedJob> = {}): AcceptedJob => ({
  promptId,
  ownerId: 1,
  kind: 'workflow',
  params: null,
  workflow: { '1': { class_type: 'EmptyImage', inputs: {} } },
  workflowHash: 'h',
  priority: 0,
  idempotencyKey: null,
  ownSocket: true,
  createdAt: 1000,
  ...o,
});

const state = (promptId: string, status: 'running' | 'completed', images = 0) => ({
  promptId,
  status,
  images: Array.from({ length: images }, (_, i) => ({
    filename: `${promptId}_${i}.png`,
    subfolder: '',
    type: 'output' as const,
  })),
  error: null,
  startedAt: 2000,
  finishedAt: status === 'completed' ? 5000 : null,
  eventIdFloor: 40,
});

describe.each(DIALECTS)('job ledger on %s', (dialect) => {
  it('accepts up to the per-user cap of unfinished jobs, counting only that user', async () => {
    await using t = await tempDb(dialect);
    const ledger = createSqliteJobLedger(t.db);
    expect(await ledger.accept(job('a1'), { maxActive: 2 })).toBe(true);
    expect(await ledger.accept(job('a2'), { maxActive: 2 })).toBe(true);
    expect(await ledger.accept(job('a3'), { maxActive: 2 })).toBe(false);
    expect(await ledger.accept(job('b1', { ownerId: 2 }), { maxActive: 2 })).toBe(true);
    // A job that ended frees its slot.
    await ledger.repository.saveState(state('a1', 'completed'));
    expect(await ledger.accept(job('a3'), { maxActive: 2 })).toBe(true);
    expect(await ledger.byId('nope')).toBeUndefined();
  });

  it('saves tracker state over the accepted row, keeps the floor from going back, and indexes images', async () => {
    await using t = await tempDb(dialect);
    const ledger = createSqliteJobLedger(t.db);
    await ledger.accept(job('p1', { kind: 'text2img', params: { caption: 'x', seed: 3 } }), { maxActive: 5 });
    await ledger.repository.saveState(state('p1', 'completed', 2));
    await ledger.repository.saveState({ ...state('p1', 'completed', 2), eventIdFloor: 10 });
    const row = await ledger.byId('p1');
    expect(row).toMatchObject({
      promptId: 'p1',
      ownerId: 1,
      kind: 'text2img',
      params: { caption: 'x', seed: 3 },
      status: 'completed',
      startedAt: 2000,
      finishedAt: 5000,
      eventIdFloor: 40,
      ownSocket: true,
    });
    expect(row?.images.map((i) => i.filename)).toEqual(['p1_0.png', 'p1_1.png']);
    const file = { filename: 'p1_1.png', subfolder: '', type: 'output' as const };
    expect(await ledger.ownsImage(1, file)).toBe(true);
    expect(await ledger.ownsImage(2, file)).toBe(false);
    expect(await ledger.ownsImage(1, { ...file, type: 'temp' })).toBe(false);
    expect(await ledger.ownsImage(1, { ...file, subfolder: 'x' })).toBe(false);
  });

  it('creates an ownerless row for a prompt it never accepted (admins only), and lists unfinished jobs', async () => {
    await using t = await tempDb(dialect);
    const ledger = createSqliteJobLedger(t.db, () => 777);
    await ledger.repository.saveState(state('foreign', 'running'));
    await ledger.accept(job('mine'), { maxActive: 5 });
    await ledger.accept(job('done'), { maxActive: 5 });
    await ledger.repository.saveState(state('done', 'completed'));
    expect(await ledger.repository.load('foreign')).toMatchObject({
      promptId: 'foreign',
      status: 'running',
      ownSocket: false,
      prompt: null,
      createdAt: 777,
    });
    expect((await ledger.repository.listUnfinished()).map((j) => j.promptId).sort()).toEqual([
      'foreign',
      'mine',
    ]);
    expect([...(await ledger.ownersOf(['foreign', 'mine', 'zzz'])).entries()]).toEqual([
      ['foreign', null],
      ['mine', 1],
    ]);
    await ledger.remove('mine');
    expect(await ledger.byId('mine')).toBeUndefined();
  });

  it('pages newest first with an opaque cursor and filters by status, kind and owner', async () => {
    await using t = await tempDb(dialect);
    const ledger = createSqliteJobLedger(t.db);
    for (let i = 0; i < 7; i++) {
      await ledger.accept(
        job(`p${i}`, { createdAt: 1000 + Math.floor(i / 2), kind: i % 2 ? 'text2img' : 'workflow' }),
        {
          maxActive: 100,
        },
      );
    }
    await ledger.accept(job('other', { ownerId: 2, createdAt: 5000 }), { maxActive: 100 });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ledger.list({ owner: 1, limit: 3, cursor });
      seen.push(...page.items.map((j) => j.promptId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0']);
    const text = await ledger.list({ owner: 1, kind: 'text2img', limit: 50 });
    expect(text.items.map((j) => j.promptId)).toEqual(['p5', 'p3', 'p1']);
    await ledger.repository.saveState(state('p2', 'completed'));
    expect(
      (await ledger.list({ owner: 1, status: 'completed', limit: 50 })).items.map((j) => j.promptId),
    ).toEqual(['p2']);
    expect((await ledger.list({ owner: 'all', limit: 1 })).items[0]?.promptId).toBe('other');
    await expect(ledger.list({ owner: 1, limit: 3, cursor: 'garbage' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('cursor'),
    });
  });

  it('keeps the per-user cap when instances accept at once (the owner row is locked)', async () => {
    await using t = await tempDb(dialect);
    // PostgreSQL: separate pools, as separate gateway instances have. SQLite: one process holds
    // one connection (better-sqlite3 blocks the thread on a lock another handle of it holds).
    const others =
      dialect === 'postgres'
        ? await Promise.all(
            [1, 2, 3].map(() => openDatabase({ rootDir: t.rootDir, databaseUrl: t.databaseUrl })),
          )
        : [];
    try {
      const ledgers = (others.length ? others : [t.db, t.db, t.db]).map((db) => createSqliteJobLedger(db));
      const accepted = await Promise.all(
        ledgers.flatMap((l, i) => [0, 1].map((k) => l.accept(job(`c${i}${k}`), { maxActive: 3 }))),
      );
      expect(accepted.filter(Boolean)).toHaveLength(3);
      expect(await t.db.selectFrom('jobs').select('prompt_id').execute()).toHaveLength(3);
    } finally {
      await Promise.all(others.map((db) => db.destroy()));
    }
  });

  it('reloads pending jobs in acceptance order, also within one millisecond', async () => {
    await using t = await tempDb(dialect);
    const ledger = createSqliteJobLedger(t.db);
    for (const id of ['z', 'a', 'm']) await ledger.accept(job(id, { createdAt: 1000 }), { maxActive: 10 });
    await ledger.accept(job('early', { createdAt: 999 }), { maxActive: 10 });
    const pending = await ledger.repository.listPending();
    expect(pending.map((p) => p.stored.promptId)).toEqual(['early', 'z', 'a', 'm']);
  });

  it('knows which servers made a file, per owner or for anyone', async () => {
    await using t = await tempDb(dialect);
    const ledger = createSqliteJobLedger(t.db);
    await ledger.accept(job('s1'), { maxActive: 10 });
    await ledger.accept(job('s2', { ownerId: 2 }), { maxActive: 10 });
    await ledger.repository.assign('s1', 'gpu-a');
    await ledger.repository.assign('s2', 'gpu-b');
    const file = { filename: 'same.png', subfolder: '', type: 'output' as const };
    for (const id of ['s1', 's2'])
      await ledger.repository.saveState({ ...state(id, 'completed'), images: [file] });
    expect(await ledger.imageBackends(1, file)).toEqual(['gpu-a']);
    expect((await ledger.imageBackends(null, file)).sort()).toEqual(['gpu-a', 'gpu-b']);
    expect(await ledger.ownsImage(1, { ...file, backend: 'gpu-a' })).toBe(true);
    expect(await ledger.ownsImage(1, { ...file, backend: 'gpu-b' })).toBe(false);
    expect(await ledger.capOf(1)).toBeNull();
  });
});
