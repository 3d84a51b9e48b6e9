import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from './open-db.ts';

const table = (version: number) => ({ version, name: `m${version}`, sql: `CREATE TABLE t${version} (x);` });

describe('migrate', () => {
  it('runs each migration once, in version order, also one numbered below an applied one', () => {
    const db = new Database(':memory:');
    try {
      expect(migrate(db, [table(4), table(1)])).toBe(2);
      // A branch merged later brings version 2: it still runs, and nothing runs twice.
      expect(migrate(db, [table(1), table(2), table(4)])).toBe(1);
      expect(migrate(db, [table(1), table(2), table(4)])).toBe(0);
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(versions).toEqual([{ version: 1 }, { version: 2 }, { version: 4 }]);
    } finally {
      db.close();
    }
  });
});
