import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from './open-db.ts';

const m = (version: number) => ({
  version,
  name: `m${version}`,
  sql: `CREATE TABLE t${version} (x INTEGER);`,
});

describe('migrate', () => {
  it('runs a lower version merged after a higher one (gaps are fine)', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [m(1), m(3)])).toBe(2);
    expect(migrate(db, [m(1), m(3), m(2)])).toBe(1);
    expect(migrate(db, [m(1), m(2), m(3)])).toBe(0);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    expect(versions).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't2'").get()).toEqual({ name: 't2' });
    db.close();
  });
});
