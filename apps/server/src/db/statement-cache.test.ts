import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from './statement-cache.ts';

interface Tables {
  t: { id: number; name: string };
}

describe('withStatementCache', () => {
  it('prepares each SQL text once across queries, with correct results', async () => {
    const file = new Database(':memory:');
    let prepared = 0;
    const counting = {
      prepare: (sql: string) => {
        prepared++;
        return file.prepare(sql);
      },
      close: () => file.close(),
    };
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(counting) }) });
    await db.schema.createTable('t').addColumn('id', 'integer').addColumn('name', 'text').execute();
    for (let i = 0; i < 20; i++)
      await db
        .insertInto('t')
        .values({ id: i, name: `n${i}` })
        .execute();
    const before = prepared;
    for (let i = 0; i < 20; i++) {
      const row = await db.selectFrom('t').select('name').where('id', '=', i).executeTakeFirst();
      expect(row?.name).toBe(`n${i}`);
    }
    expect(prepared - before).toBe(1);
    await db.destroy();
  });

  it('evicts the least recently used statement past its size', () => {
    const file = new Database(':memory:');
    const seen: string[] = [];
    const cached = withStatementCache(
      {
        prepare: (sql: string) => {
          seen.push(sql);
          return file.prepare(sql);
        },
        close: () => file.close(),
      },
      2,
    );
    for (const sql of ['SELECT 1', 'SELECT 2', 'SELECT 1', 'SELECT 3', 'SELECT 1', 'SELECT 2'])
      cached.prepare(sql);
    expect(seen).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 2']);
    cached.close();
  });
});
